#!/usr/bin/env bash
# bench/train_vs_torch.sh BUILD_DIR: trains the seed CAE on Fashion-MNIST with `cae2tpu train
# --arch cae` and with PyTorch (bench/train_torch.py, Debian python3-torch for /usr/bin/python3)
# in the same setting (Adam, MSE, batch, epochs, image limit, threads, seed), one after the
# other, and prints training images/s per epoch, the best epoch's ratio cae2tpu / PyTorch and
# both final test MSEs, and the CPU seconds of each run. Prints only; never asserts. Timings are
# noisy on a loaded machine.
# Environment: CAE_TRAIN_EPOCHS (default 2), CAE_TRAIN_LIMIT (images of each set, 0 = all 60k/10k;
# default 10000), CAE_TRAIN_THREADS (default 2), CAE_TRAIN_BATCH (default 128), CAE_TRAIN_LR
# (default 1e-3), CAE_TRAIN_SEED (default 1), CAE_TORCH_INIT (torch | keras, default torch),
# CAE_TRAIN_CENTERING (on | off, default on: both trainers take input-centered steps, cae2tpu's
# default; off: both take plain steps).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: bench/train_vs_torch.sh BUILD_DIR}" && pwd)
epochs=${CAE_TRAIN_EPOCHS:-2}
limit=${CAE_TRAIN_LIMIT:-10000}
threads=${CAE_TRAIN_THREADS:-2}
batch=${CAE_TRAIN_BATCH:-128}
lr=${CAE_TRAIN_LR:-1e-3}
seed=${CAE_TRAIN_SEED:-1}
torch_init=${CAE_TORCH_INIT:-torch}
centering=${CAE_TRAIN_CENTERING:-on}
case "$centering" in on) torch_centering=(--centering) ;; off) torch_centering=() ;;
  *) echo "train_vs_torch: CAE_TRAIN_CENTERING must be on or off" >&2; exit 2 ;; esac
py=/usr/bin/python3
[ -x "$build/cae2tpu" ] || { echo "train_vs_torch: missing $build/cae2tpu" >&2; exit 1; }
"$py" -c 'import torch, numpy' 2>/dev/null ||
  { echo "train_vs_torch: $py cannot import torch/numpy (apt-get install python3-torch)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

limit_args=()
[ "$limit" -gt 0 ] && limit_args=(--limit "$limit")
echo "training the seed CAE: $epochs epoch(s), ${limit_args[1]:-all} images, batch $batch, lr $lr," \
     "$threads thread(s), seed $seed, centering $centering" >&2
# CPU seconds (user + sys) of each whole run, loading, evaluation and (torch) the Python import
# included: less sensitive to the machine's load than images/s. PyTorch's OpenMP threads suffer
# badly when the cores are shared: on a loaded machine compare CAE_TRAIN_THREADS=1 too.
TIMEFORMAT=%U+%S
{ time "$build/cae2tpu" train --arch cae --json --epochs "$epochs" --batch-size "$batch" \
    --lr "$lr" --threads "$threads" --seed "$seed" --centering "$centering" "${limit_args[@]}" -o "$tmp/cae.h5" \
    > "$tmp/cae2tpu.json"; } 2> "$tmp/cae2tpu.cpu"
{ time "$py" "$here/train_torch.py" --epochs "$epochs" --batch-size "$batch" --lr "$lr" \
    --threads "$threads" --seed "$seed" --limit "$limit" --init "$torch_init" "${torch_centering[@]}" \
    > "$tmp/torch.json" 2> "$tmp/torch.log"; } 2> "$tmp/torch.cpu"

"$py" - "$tmp/cae2tpu.json" "$tmp/torch.json" "$tmp/cae2tpu.cpu" "$tmp/torch.cpu" <<'EOF'
import json, sys
ours, torch = (json.load(open(p)) for p in sys.argv[1:3])
cpu = [eval(open(p).read().strip().splitlines()[-1]) for p in sys.argv[3:5]]
steps = ", centered" if torch.get("centering") else ""
rows = [("cae2tpu", ours["epochs"]), (torch["framework"] + " (" + torch["init"] + " init" + steps + ")", torch["epochs"])]
print(f"{'trainer':40} {'images/s per epoch':26} {'best':>6} {'test MSE':>9} {'CPU s':>7}")
best = []
for (name, eps), cpu_s in zip(rows, cpu):
    ips = [e["images_per_second"] for e in eps]
    best.append(max(ips))
    mse = eps[-1]["val_loss"]
    print(f"{name:40} {' '.join(f'{v:.0f}' for v in ips):26} {max(ips):6.0f} {mse:9.6f} {cpu_s:7.1f}")
print(f"ratio cae2tpu / PyTorch: {best[0] / best[1]:.2f}x images/s (best epoch), "
      f"{cpu[1] / cpu[0]:.2f}x fewer CPU seconds")
EOF
