#!/usr/bin/env bash
# Prints the widget's weight: raw and gzip (-9) bytes of the loader (paid by
# every page view) and of everything fetched when the chat opens (wasm, JS
# glue; the panel's CSS is compiled into the wasm). Budgets: loader <= 2 KB
# gzip, total <= 100 KB gzip. Exits non-zero when a budget is exceeded.
# Run after scripts/build-widget.sh. With --crates, also prints where the
# wasm's code goes, crate by crate (scripts/wasm-crates.py).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
dist=widget/dist
[ -f "$dist/loader.js" ] || { echo "no $dist/loader.js: run scripts/build-widget.sh first" >&2; exit 1; }

gz() { gzip -9c "$1" | wc -c; }
row() { printf '%-28s %9s %9s\n' "$1" "$2" "$3"; }

row file raw gzip
loader_raw=$(wc -c <"$dist/loader.js"); loader_gz=$(gz "$dist/loader.js")
row loader.js "$loader_raw" "$loader_gz"
total_raw=$loader_raw; total_gz=$loader_gz
for f in lantern-widget.js lantern-widget_bg.wasm; do
  raw=$(wc -c <"$dist/$f"); z=$(gz "$dist/$f")
  row "$f" "$raw" "$z"
  total_raw=$((total_raw + raw)); total_gz=$((total_gz + z))
done
css_raw=$(wc -c <widget/src/style.css); css_gz=$(gz widget/src/style.css)
row "  (style.css, in the wasm)" "$css_raw" "$css_gz"
row "total on open" "$total_raw" "$total_gz"

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
[ "$loader_gz" -le 2048 ] || { echo "loader.js is over its 2 KB gzip budget" >&2; status=1; }
[ "$total_gz" -le 102400 ] || { echo "the widget is over its 100 KB gzip budget" >&2; status=1; }
exit "$status"
