#!/usr/bin/env bash
# Installs ONNX Runtime for node (npm package onnxruntime-node@1.30.0, which ships its native
# library, so --ignore-scripts) into a cache folder once, and prints that folder.
#   CAE_ONNX_HOME  where to install (default: ${XDG_CACHE_HOME:-$HOME/.cache}/cae2tpu-onnxruntime)
# Used by ./run's test path and by the anchor tests (tests/cli), which run tests/tools/onnx_run.mjs.
set -euo pipefail
home=${CAE_ONNX_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/cae2tpu-onnxruntime}
if [ ! -f "$home/node_modules/onnxruntime-node/package.json" ]; then
  command -v npm >/dev/null || { echo "onnx_setup: npm not found" >&2; exit 1; }
  echo "onnx_setup: installing onnxruntime-node@1.30.0 into $home" >&2
  mkdir -p "$home"
  [ -f "$home/package.json" ] || echo '{"name":"cae2tpu-onnx-anchor","private":true}' > "$home/package.json"
  (cd "$home" && npm install --ignore-scripts --no-audit --no-fund --save-exact onnxruntime-node@1.30.0 >&2)
fi
echo "$home"
