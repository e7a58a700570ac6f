#!/usr/bin/env bash
# Builds the widget (Trunk, release, size-optimised) into widget/dist.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
widget_env
# Trunk runs cargo offline (so it never fetches tools of its own): download
# the crates first, the standard library's own ones too when build-std
# compiles it from source. Quick when everything is already here.
cargo fetch --locked --quiet || die "could not download the widget's crates"
if [ -n "${CARGO_UNSTABLE_BUILD_STD:-}" ]; then
  cargo fetch --locked --quiet \
    --manifest-path "$(rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml" \
    || die "could not download the standard library's crates (needed by build-std)"
fi
trunk build --release --offline --cargo-profile wasm-release --no-color >target/widget-build.log 2>&1 \
  || { cat target/widget-build.log; die "widget build failed"; }
# Trunk copies loader.js as written; ship it minified (the source stays
# readable). esbuild comes with wrangler in node_modules.
# wasm-bindgen's JS glue is written for reading too: minify it as well.
if command -v esbuild >/dev/null; then
  esbuild widget/loader.js --minify --target=es2017 --outfile=widget/dist/loader.js --log-level=warning \
    || die "minifying loader.js failed"
  esbuild widget/dist/lantern-widget.js --minify --format=esm --target=es2020 \
    --outfile=widget/dist/lantern-widget.js --allow-overwrite --log-level=warning \
    || die "minifying the widget's JS glue failed"
else
  warn "esbuild not found: widget/dist/*.js are not minified"
fi
# `lantern serve` sends these to browsers that accept gzip (ServeDir's
# precompressed files): the widget's weight on the wire is its gzip size.
gzip -9kf widget/dist/*.js widget/dist/*.wasm
