#!/usr/bin/env bash
# Builds the edge worker (server/ for wasm32) into build/worker/ — the
# [build] command of wrangler.toml, also run directly by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
wasm_env
# worker-build would download these tools; point it at the installed ones.
export WASM_BINDGEN_BIN=wasm-bindgen WASM_OPT_BIN=wasm-opt ESBUILD_BIN=esbuild
cd server
worker-build --profile wasm-release --out-dir ../build/worker
