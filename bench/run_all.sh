#!/usr/bin/env bash
# bench/run_all.sh BUILD_DIR: benchmarks cae2tpu against its anchors on this machine and prints a
# table (called by `./run bench`). Prints only; never asserts. Needs BUILD_DIR/cae2tpu,
# BUILD_DIR/bench/{bench_conv,model_macs,machine_peak} (built with -DCAE_BUILD_BENCH=ON), node, ONNX Runtime
# (tests/tools/onnx_setup.sh) and the TFLite oracle (shared/tools/tflite-oracle).
#   1. cae12785_fmnist on the Fashion-MNIST test images: cae2tpu float32 (.h5) and int8 (converted
#      here, calibrated on the first 100 train images) vs ONNX Runtime (float and MinMax QInt8),
#      2 threads, one batch of N images and N batch-1 calls; GMAC/s and peak RSS of cae2tpu.
#   2. mobilenet_v1_0.25_128_quant, tf2_mobilenet_v2_1.0_224_ptq: cae2tpu vs TFLite (XNNPACK) per
#      invoke, 1 and 2 threads; then cae12785_fmnist's .tflite variants (float32, float16,
#      dynamic-range, int8) per batch-1 invoke against TFLite, 1 thread.
#   3. bench_conv: CONV_2D reference vs fast kernels (Google Benchmark).
# GMAC/s columns are also given as a share of the machine's peak, measured first by machine_peak
# (float32 FMA and int8 VNNI/AVX2 multiply-accumulate loops on every core).
# Environment: CAE_BENCH_IMAGES (N, default 10000), CAE_BENCH_BATCH1 (batch-1 calls, default N),
# CAE_BENCH_REPEAT (mobilenet invokes, default 50), CAE_BENCH_TRIES (CAE runs per side, best
# taken, default 3), CAE_SHARED_DIR (default ../shared).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:?usage: bench/run_all.sh BUILD_DIR}" && pwd)
shared=${CAE_SHARED_DIR:-$root/../shared}
cli=$build/cae2tpu
n=${CAE_BENCH_IMAGES:-10000}
n1=${CAE_BENCH_BATCH1:-$n}
repeat=${CAE_BENCH_REPEAT:-50}
tries=${CAE_BENCH_TRIES:-3}
fm=/usr/share/datasets/fashion-mnist
anchors=$shared/fixtures/anchors
coral=$shared/fixtures/coral
oracle=$shared/tools/tflite-oracle/oracle
for f in "$cli" "$build/bench/model_macs" "$build/bench/bench_conv" "$build/bench/machine_peak" "$fm/t10k-images-idx3-ubyte.gz" \
         "$anchors/cae12785_fmnist.h5" "$coral/bird.bmp" "$oracle"; do
  [ -e "$f" ] || { echo "run_all: missing $f" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
onnx_home=$(bash "$root/tests/tools/onnx_setup.sh")
export CAE_ONNX_HOME=$onnx_home

# json FILE EXPR: evaluates a JS expression on the JSON object j read from FILE.
json() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); console.log(eval(process.argv[2]))' "$1" "$2"; }
# least A B: the smaller number (B when A is empty).
least() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
# ratio A B: A/B with 2 decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# cae2tpu run: prints "SECONDS PEAK_RSS_MB".
cae_run() {  # MODEL BATCH LIMIT THREADS
  /usr/bin/time -v -o "$tmp/time.txt" "$cli" run "$1" -i "$fm/t10k-images-idx3-ubyte.gz" \
    -o "$tmp/out.npy" --batch "$2" --limit "$3" --threads "$4" --json > "$tmp/run.json"
  local rss
  rss=$(awk -F: '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$tmp/time.txt")
  echo "$(json "$tmp/run.json" 'j.seconds') $rss"
}

echo "== cae2tpu benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
read -r peak_f32 peak_int8 peak_threads isa_f32 isa_int8 < <("$build/bench/machine_peak")
echo "machine peak, measured on $peak_threads threads: float32 $peak_f32 GMAC/s ($isa_f32)," \
     "int8 $peak_int8 GMAC/s ($isa_int8)"
# pct GMACS PEAK: GMACS as a percentage of PEAK.
pct() { awk -v g="$1" -v p="$2" 'BEGIN { if (p > 0) printf "%.0f%%", 100 * g / p; else print "-" }'; }
# peak_on PEAK THREADS: the part of an all-core PEAK that THREADS threads have (at most all).
peak_on() { awk -v p="$1" -v t="$2" -v n="$peak_threads" 'BEGIN { print p * (t < n ? t : n) / n }'; }
"$cli" convert "$anchors/cae12785_fmnist.h5" -o "$tmp/cae_int8.tflite" --quant int8 --io float32 \
  --calib "$fm/train-images-idx3-ubyte.gz" --calib-samples 100 > /dev/null
macs=$("$build/bench/model_macs" "$anchors/cae12785_fmnist.h5" | awk '{ print $2 }')
echo
echo "cae12785_fmnist: $n Fashion-MNIST test images, 2 threads; $macs MACs per image"
printf '%-8s %-9s %12s %12s %10s %12s %10s %6s %9s\n' model batch cae2tpu_s onnxrt_s onnx/cae cae_img/s GMAC/s peak RSS_MB
for kind in float32 int8; do
  if [ "$kind" = float32 ]; then
    model=$anchors/cae12785_fmnist.h5 onnx=$anchors/cae12785_fmnist.onnx
  else
    model=$tmp/cae_int8.tflite onnx=$anchors/cae12785_fmnist_MinMax_QInt8.onnx
  fi
  peak=$peak_f32
  [ "$kind" = int8 ] && peak=$peak_int8
  # Best of $tries alternating runs on each side (the first run after the other side's process
  # ended was measured up to 1.5x slower on this VM); peak RSS is the largest seen.
  ob= o1= cb= c1= rssb=0 rss1=0
  for _ in $(seq 1 "$tries"); do
    node "$here/onnx_time.mjs" "$onnx" "$fm/t10k-images-idx3-ubyte.gz" "$n" --threads 2 \
      --batch1 "$n1" > "$tmp/onnx.json"
    ob=$(least "$ob" "$(json "$tmp/onnx.json" 'j.batch_n_seconds')")
    o1=$(least "$o1" "$(json "$tmp/onnx.json" 'j.batch1_seconds')")
    read -r s r < <(cae_run "$model" "$n" "$n" 2)
    cb=$(least "$cb" "$s") rssb=$((r > rssb ? r : rssb))
    read -r s r < <(cae_run "$model" 1 "$n1" 2)
    c1=$(least "$c1" "$s") rss1=$((r > rss1 ? r : rss1))
  done
  for row in "$n:$cb:$ob:$rssb:$n" "1:$c1:$o1:$rss1:$n1"; do
    IFS=: read -r b c o r imgs <<< "$row"
    gmacs=$(awk -v m="$macs" -v i="$imgs" -v s="$c" 'BEGIN { print m * i / s / 1e9 }')
    printf '%-8s %-9s %12.3f %12.3f %10s %12.0f %10.2f %6s %9s\n' "$kind" "$b" "$c" "$o" \
      "$(ratio "$o" "$c")" "$(awk -v i="$imgs" -v s="$c" 'BEGIN { print i / s }')" \
      "$gmacs" "$(pct "$gmacs" "$(peak_on "$peak" 2)")" "$r"
  done
done
echo "(batch 1 rows: $n1 calls; best of $tries runs per side; onnx/cae > 1 means cae2tpu is faster)"

echo
echo "Coral models, per invoke (ms): cae2tpu (bird.bmp pixel bytes, batch 1, $repeat invokes) vs TFLite + XNNPACK (median of $repeat)"
printf '%-32s %-8s %10s %10s %12s %10s %6s\n' model threads cae2tpu tflite tflite/cae GMAC/s peak
mkdir -p "$tmp/birds"
for i in $(seq 1 "$repeat"); do ln -sf "$coral/bird.bmp" "$tmp/birds/bird_$i.bmp"; done
for name in mobilenet_v1_0.25_128_quant tf2_mobilenet_v2_1.0_224_ptq; do
  model=$coral/$name.tflite
  size=$(json <("$cli" inspect "$model" --json) 'j.inputs[0].shape[1]+"x"+j.inputs[0].shape[2]')
  mmacs=$("$build/bench/model_macs" "$model" | awk '{ print $2 }')
  for t in 1 2; do
    "$oracle" "$model" --repeat "$repeat" --warmup 3 --threads "$t" --quiet --out-dir "$tmp/oracle" > "$tmp/oracle.json"
    tf=$(json "$tmp/oracle.json" 'j.invoke.median_ms')
    "$cli" run "$model" -i "$tmp/birds" --resize "$size" --raw -o "$tmp/mn.npy" --batch 1 --threads "$t" --json > "$tmp/mn.json"
    ms=$(json "$tmp/mn.json" 'j.seconds * 1000 / j.images')
    gmacs=$(awk -v m="$mmacs" -v s="$ms" 'BEGIN { print m / s / 1e6 }')
    printf '%-32s %-8s %10.2f %10.2f %12s %10.2f %6s\n' "$name" "$t" "$ms" "$tf" "$(ratio "$tf" "$ms")" \
      "$gmacs" "$(pct "$gmacs" "$(peak_on "$peak_int8" "$t")")"
  done
done

echo
echo "cae12785_fmnist variants, per batch-1 invoke (ms), 1 thread: cae2tpu ($n1 test images) vs TFLite + XNNPACK (median of $repeat, one test image)"
printf '%-10s %10s %10s %12s\n' variant cae2tpu tflite tflite/cae
# The first test image as the oracle's raw float32 input ([1,28,28,1], /255 as cae2tpu reads it).
node -e 'const fs=require("fs"); const zlib=require("zlib");
  const idx=zlib.gunzipSync(fs.readFileSync(process.argv[1])); const f=new Float32Array(784);
  for (let i=0;i<784;++i) f[i]=idx[16+i]/255; fs.writeFileSync(process.argv[2], Buffer.from(f.buffer));' \
  "$fm/t10k-images-idx3-ubyte.gz" "$tmp/one_image.bin"
for variant in float32 float16 dynamic int8; do
  model=$tmp/cae_$variant.tflite
  [ "$variant" = int8 ] || "$cli" convert "$anchors/cae12785_fmnist.h5" -o "$model" --quant "$variant" > /dev/null
  "$oracle" "$model" --in "$tmp/one_image.bin" --repeat "$repeat" --warmup 3 --threads 1 --quiet \
    --out-dir "$tmp/oracle" > "$tmp/oracle.json"
  tf=$(json "$tmp/oracle.json" 'j.invoke.median_ms')
  read -r s _ < <(cae_run "$model" 1 "$n1" 1)
  ms=$(awk -v s="$s" -v i="$n1" 'BEGIN { print s * 1000 / i }')
  printf '%-10s %10.4f %10.4f %12s\n' "$variant" "$ms" "$tf" "$(ratio "$tf" "$ms")"
done

echo
echo "CONV_2D kernels, reference vs fast (Google Benchmark, 1 thread, batch 64, CAE layer shapes)"
"$build/bench/bench_conv" --benchmark_counters_tabular=true 2>/dev/null
