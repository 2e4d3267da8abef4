// Runs an ONNX model in ONNX Runtime (npm onnxruntime-node, installed by onnx_setup.sh) on one raw
// little-endian float32 input and writes every output's raw bytes.
//   node onnx_run.mjs MODEL.onnx INPUT.bin D0,D1,... OUT_PREFIX [--threads N]
// Writes OUT_PREFIX<i>.bin per output (in the session's output order) and prints one JSON line:
// {"inputs":[{name,shape}], "outputs":[{name,shape,type,file}]}. Exit 1 with a message on error.
// CAE_ONNX_HOME: the install folder (default ${XDG_CACHE_HOME:-~/.cache}/cae2tpu-onnxruntime).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function fail(msg) {
  process.stderr.write(`onnx_run: ${msg}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
if (args.length < 4) fail('usage: onnx_run.mjs MODEL.onnx INPUT.bin D0,D1,... OUT_PREFIX [--threads N]');
const [model, input, dimsText, outPrefix] = args;
let threads = 1;
const t = args.indexOf('--threads');
if (t >= 0) threads = Number(args[t + 1]);

const home = process.env.CAE_ONNX_HOME ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'cae2tpu-onnxruntime');
let ort;
try {
  ort = createRequire(path.join(home, 'package.json'))('onnxruntime-node');
} catch (e) {
  fail(`onnxruntime-node not installed in ${home} (run tests/tools/onnx_setup.sh): ${e.message}`);
}

const dims = dimsText.split(',').map(Number);
if (dims.some((d) => !Number.isInteger(d) || d < 0)) fail(`bad dims '${dimsText}'`);
const count = dims.reduce((a, b) => a * b, 1);
const bytes = fs.readFileSync(input);
if (bytes.length !== count * 4) fail(`${input}: ${bytes.length} bytes, expected ${count * 4} for [${dims}]`);
const data = new Float32Array(bytes.buffer, bytes.byteOffset, count);

const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
});
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
const results = await session.run(feeds);
const outputs = session.outputNames.map((name, i) => {
  const r = results[name];
  const file = `${outPrefix}${i}.bin`;
  fs.writeFileSync(file, Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength));
  return { name, shape: r.dims, type: r.type, file };
});
process.stdout.write(JSON.stringify({ inputs: [{ name: session.inputNames[0], shape: dims }], outputs }) + '\n');
