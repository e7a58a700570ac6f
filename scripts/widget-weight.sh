#!/usr/bin/env bash
# Prints the widget's weight: raw, gzip (-9) and brotli (q11) bytes of the
# loader (paid by every page view) and of everything fetched when the chat
# opens (the wasm and app.js: the JS glue, the panel's CSS, the tabs'
# coordination), and attach.js, fetched only when files are first used.
# Budgets: loader <= 2,048 B gzip; everything on open
# <= 80,000 B gzip and <= 70,000 B brotli. Exits non-zero when a budget is
# exceeded. Run after scripts/build-widget.sh. With --crates, also prints
# where the wasm's code goes, crate by crate (scripts/wasm-crates.py).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
dist=widget/dist
[ -f "$dist/loader.js" ] || { echo "no $dist/loader.js: run scripts/build-widget.sh first" >&2; exit 1; }
# The hashed names of the current build (loader.js names them).
id=$(grep -o 'lantern-widget-[0-9a-f]\{16\}' "$dist/loader.js" | head -1)
app="$id.js"; wasm="${id}_bg.wasm"
[ -n "$id" ] && [ -f "$dist/$app" ] && [ -f "$dist/$wasm" ] || { echo "loader.js names no app/wasm of $dist: rebuild" >&2; exit 1; }

gz() { gzip -9c "$1" | wc -c; }
br() {
  node -e '
    const z = require("zlib"), b = require("fs").readFileSync(process.argv[1]), P = z.constants;
    console.log(z.brotliCompressSync(b, { params: { [P.BROTLI_PARAM_QUALITY]: 11,
      [P.BROTLI_PARAM_LGWIN]: 24, [P.BROTLI_PARAM_SIZE_HINT]: b.length } }).length)' "$1"
}
row() { printf '%-34s %9s %9s %9s\n' "$1" "$2" "$3" "$4"; }

row file raw gzip brotli
total_raw=0; total_gz=0; total_br=0
for f in loader.js "$app" "$wasm"; do
  raw=$(wc -c <"$dist/$f"); z=$(gz "$dist/$f"); b=$(br "$dist/$f")
  row "$f" "$raw" "$z" "$b"
  [ "$f" = loader.js ] && loader_gz=$z
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + z)); total_br=$((total_br + b))
done
row "  (style.css, in $app)" "$(wc -c <widget/src/style.css)" "$(gz widget/src/style.css)" "$(br widget/src/style.css)"
row "total on open" "$total_raw" "$total_gz" "$total_br"
# attach.js: fetched only when the visitor first uses files (not on open).
attach=$(grep -o 'lantern-attach-[0-9a-f]\{16\}\.js' "$dist/$app" | head -1 || true)
[ -n "$attach" ] && [ -f "$dist/$attach" ] &&
  row "  + $attach (on first use)" "$(wc -c <"$dist/$attach")" "$(gz "$dist/$attach")" "$(br "$dist/$attach")"
# What `lantern serve` actually sends gzip clients: the build's .gz files
# (zopfli when it was installed). The budget is checked on gzip -9 above.
if [ -f "$dist/$wasm.gz" ] && [ -f "$dist/$app.gz" ] && [ -f "$dist/loader.js.gz" ]; then
  row "  as served (.gz files of the build)" "" \
    "$(( $(wc -c <"$dist/loader.js.gz") + $(wc -c <"$dist/$app.gz") + $(wc -c <"$dist/$wasm.gz") ))" ""
fi
[ -f "$dist/embed.json" ] && echo "pinned loader: $(cat "$dist/embed.json")"

if [ "${1:-}" = --crates ]; then
  # The same wasm as shipped, but with function names kept.
  widget_env
  raw="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/lantern-widget.wasm"
  named="$(mktemp -d)"
  wasm-bindgen --target web --keep-debug --out-dir "$named" --out-name w "$raw"
  wasm-opt -Oz --debuginfo --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$named/w_bg.wasm" -o "$named/named.wasm"
  echo
  python3 scripts/wasm-crates.py "$named/named.wasm" 15
  rm -rf "$named"
fi

status=0
[ "$loader_gz" -le 2048 ] || { echo "loader.js is over its 2,048 B gzip budget" >&2; status=1; }
[ "$total_gz" -le 80000 ] || { echo "the widget is over its 80,000 B gzip budget" >&2; status=1; }
[ "$total_br" -le 70000 ] || { echo "the widget is over its 70,000 B brotli budget" >&2; status=1; }
exit "$status"
