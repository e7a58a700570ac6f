#!/usr/bin/env bash
# Builds the owner console (Trunk, release, size-optimised) into console/dist,
# which `lantern serve` serves under /console/. Asset names carry a content
# hash, so the server lets browsers keep them for a year; index.html is
# revalidated on every load.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
# The widget's build settings (std without panic formatting, its target dir):
# the two apps then share their compiled dependencies.
widget_env
cargo fetch --locked --quiet || die "could not download the console's crates"
if [ -n "${CARGO_UNSTABLE_BUILD_STD:-}" ]; then
  cargo fetch --locked --quiet \
    --manifest-path "$(rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml" \
    || die "could not download the standard library's crates (needed by build-std)"
fi
trunk build console/index.html --release --offline --cargo-profile wasm-release --no-color \
  --dist console/dist --public-url /console/ --filehash true >target/console-build.log 2>&1 \
  || { cat target/console-build.log; die "console build failed"; }
# The JS glue is left as Trunk writes it: index.html pins it by integrity hash.
gzip -9kf console/dist/*.js console/dist/*.wasm console/dist/*.css
