#!/usr/bin/env bash
# Builds the widget (Trunk, release, size-optimised) into widget/dist.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
wasm_env
trunk build --release --offline --cargo-profile wasm-release --no-color >target/widget-build.log 2>&1 \
  || { cat target/widget-build.log; die "widget build failed"; }
