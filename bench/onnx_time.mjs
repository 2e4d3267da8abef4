// Times an ONNX model in ONNX Runtime (onnxruntime-node from tests/tools/onnx_setup.sh) on images
// of a gzipped IDX file (uint8 pixels scaled to [0,1] float32, NHWC or NCHW as the model's input):
//   node onnx_time.mjs MODEL.onnx IMAGES.idx.gz N --threads T [--batch1 M]
// One session.run on all N images (after one warm-up run on the first image), then M batch-1 runs.
// Prints one JSON line: {"batch_n":N,"batch_n_seconds":S,"batch1_runs":M,"batch1_seconds":S1}.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

function fail(msg) {
  process.stderr.write(`onnx_time: ${msg}\n`);
  process.exit(1);
}
const args = process.argv.slice(2);
if (args.length < 3) fail('usage: onnx_time.mjs MODEL.onnx IMAGES.idx.gz N --threads T [--batch1 M]');
const [model, idxPath, nText] = args;
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : def; };
const threads = opt('--threads', 1);
const m1 = opt('--batch1', 1000);
const n = Number(nText);
if (!Number.isInteger(n) || n < 1) fail(`bad N '${nText}'`);

const home = process.env.CAE_ONNX_HOME ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'cae2tpu-onnxruntime');
let ort;
try {
  ort = createRequire(path.join(home, 'package.json'))('onnxruntime-node');
} catch (e) {
  fail(`onnxruntime-node not installed in ${home} (run tests/tools/onnx_setup.sh): ${e.message}`);
}

const idx = zlib.gunzipSync(fs.readFileSync(idxPath));
if (idx.readUInt32BE(0) !== 0x803) fail(`${idxPath}: not an IDX uint8 image file`);
const count = idx.readUInt32BE(4), h = idx.readUInt32BE(8), w = idx.readUInt32BE(12);
if (n > count) fail(`${idxPath} has ${count} images, ${n} asked`);
const pixels = new Float32Array(n * h * w);
for (let i = 0; i < pixels.length; ++i) pixels[i] = idx[16 + i] / 255;

const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
});
const name = session.inputNames[0];
const meta = session.inputMetadata ? session.inputMetadata[0] : null;
// Single-channel images: NHWC [n,h,w,1] unless the model declares channels first.
const channelsFirst = meta && Array.isArray(meta.shape) && meta.shape.length === 4 && meta.shape[1] === 1;
const shape = (b) => (channelsFirst ? [b, 1, h, w] : [b, h, w, 1]);
const tensor = (b, off) => new ort.Tensor('float32', pixels.subarray(off * h * w, (off + b) * h * w), shape(b));

await session.run({ [name]: tensor(1, 0) });
let t0 = process.hrtime.bigint();
await session.run({ [name]: tensor(n, 0) });
const batchSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
const runs = Math.min(m1, n);
t0 = process.hrtime.bigint();
for (let i = 0; i < runs; ++i) await session.run({ [name]: tensor(1, i) });
const b1Seconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(JSON.stringify({ batch_n: n, batch_n_seconds: batchSeconds, batch1_runs: runs,
  batch1_seconds: b1Seconds }) + '\n');
