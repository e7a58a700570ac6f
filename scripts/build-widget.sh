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
dist=widget/dist
command -v esbuild >/dev/null || die "esbuild not found (it comes with npm wrangler: npm ci)"

# Leptos links wasm-streams (through server_fn) whose exported JS classes
# the widget never uses; being exports, no optimiser may drop them. Drop the
# exports, optimise again (the code only they reached goes: about 1.2 KB
# gzip), then slim the wasm and its JS glue together (scripts/wasm-glue.py:
# unused import shims and wasm-streams' JS classes go, short import and
# export names, no custom sections).
# `--low-memory-unused`: Rust's wasm keeps its stack below 1 MiB growing
# down, so the first KiB is never addressed and load/store offsets may fold
# (0.6 KB gzip). Not `--traps-never-happen`: a panic here is a trap, and
# code after it must not run.
python3 - "$dist/lantern-widget_bg.wasm" <<'PY' || die "stripping the wasm's unused exports failed"
import sys
def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1; r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i
def enc(n):
    out = bytearray()
    while True:
        x = n & 0x7f; n >>= 7
        if n: out.append(x | 0x80)
        else: out.append(x); return bytes(out)
path = sys.argv[1]; b = open(path, 'rb').read(); out = bytearray(b[:8]); i = 8
while i < len(b):
    sid = b[i]; size, j = leb(b, i + 1); body = b[j:j + size]; i = j + size
    if sid == 7:  # exports: drop wasm-streams' classes (intounderlying*)
        n, k = leb(body, 0); keep = []
        for _ in range(n):
            ln, k2 = leb(body, k); name = body[k2:k2 + ln].decode(); _, k4 = leb(body, k2 + ln + 1)
            if not name.startswith(('intounderlying', '__wbg_intounderlying')): keep.append(body[k:k4])
            k = k4
        body = enc(len(keep)) + b''.join(keep)
    out += bytes([sid]) + enc(len(body)) + body
open(path, 'wb').write(out)
PY
wasm-opt -Oz --low-memory-unused --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$dist/lantern-widget_bg.wasm" -o "$dist/lantern-widget_bg.wasm" || die "wasm-opt failed"
python3 scripts/wasm-glue.py "$dist/lantern-widget_bg.wasm" "$dist/lantern-widget.js" \
  || die "slimming the wasm and its JS glue failed"

# Content-hashed names: the server caches them for a year (immutable), and
# only loader.js, which names them, is short-lived.
hash16() { cat "$@" | sha256sum | cut -c1-16; }

# attach.js: files (upload, preview, thumbnails), a module of its own that
# app.js imports only when the visitor first uses them; app.js names it.
esbuild widget/attach.js --minify --format=esm --target=es2020 \
  --outfile="$dist/attach.tmp.js" --log-level=warning || die "minifying widget/attach.js failed"
attach="lantern-attach-$(hash16 "$dist/attach.tmp.js").js"
mv "$dist/attach.tmp.js" "$dist/$attach"

# app.js: wasm-bindgen's glue, the panel's CSS and the tabs' coordination,
# bundled and minified into one module (the glue's unused exports go).
esbuild widget/src/style.css --minify --outfile="$dist/style.css" --log-level=warning \
  || die "minifying the panel's CSS failed"
esbuild widget/app.js --bundle --minify --format=esm --target=es2020 --loader:.css=text \
  --define:ATTACH_JS="\"./$attach\"" \
  --outfile="$dist/app.tmp.js" --log-level=warning || die "bundling widget/app.js failed"
grep -q "$attach" "$dist/app.tmp.js" || die "app.js no longer names attach.js as the build expects"
rm -f "$dist/lantern-widget.js" "$dist/style.css"

# One hash for the app and its wasm (app.js's bytes include attach.js's name).
id="lantern-widget-$(hash16 "$dist/app.tmp.js" "$dist/lantern-widget_bg.wasm")"
js="$id.js"
wasm="${id}_bg.wasm"
mv "$dist/app.tmp.js" "$dist/$js"
mv "$dist/lantern-widget_bg.wasm" "$dist/$wasm"
sed -e "s#/widget/lantern-widget'#/widget/$id'#" widget/loader.js >"$dist/loader.src.js"
grep -q "$id" "$dist/loader.src.js" || die "loader.js no longer names the app as the build expects"
esbuild "$dist/loader.src.js" --minify --target=es2017 --outfile="$dist/loader.js" \
  --allow-overwrite --log-level=warning || die "minifying loader.js failed"
rm -f "$dist/loader.src.js"

# A versioned copy of the loader for pages that pin a release with
# Subresource Integrity; embed.json names it and its hash.
loader="loader-$(hash16 "$dist/loader.js").js"
cp "$dist/loader.js" "$dist/$loader"
sri="sha384-$(openssl dgst -sha384 -binary "$dist/loader.js" | base64 -w0)"
printf '{"loader":"/widget/%s","integrity":"%s","app":"/widget/%s","wasm":"/widget/%s","attach":"/widget/%s"}\n' \
  "$loader" "$sri" "$js" "$wasm" "$attach" >"$dist/embed.json"

# `lantern serve` sends these to browsers that accept brotli or gzip
# (ServeDir's precompressed files): the widget's weight on the wire.
# Zopfli writes plain gzip that any client reads, about 5% smaller than
# `gzip -9` on the wasm (4.5 KB); gzip -9 when it is not installed.
if command -v zopfli >/dev/null; then
  zopfli --i15 "$dist"/*.js "$dist"/*.wasm
else
  warn "zopfli not found (scripts/setup.sh installs it): the .gz files are gzip -9, about 4.5 KB heavier"
  gzip -9kf "$dist"/*.js "$dist"/*.wasm
fi
node -e '
  const z = require("zlib"), fs = require("fs"), P = z.constants;
  for (const f of process.argv.slice(1)) {
    const b = fs.readFileSync(f);
    fs.writeFileSync(f + ".br", z.brotliCompressSync(b, { params: {
      [P.BROTLI_PARAM_QUALITY]: 11, [P.BROTLI_PARAM_LGWIN]: 24, [P.BROTLI_PARAM_SIZE_HINT]: b.length } }));
  }' "$dist"/*.js "$dist"/*.wasm
say "widget built: $dist/$js, $dist/$wasm; pinned loader /widget/$loader integrity $sri"
