#!/usr/bin/env bash
# Builds what is needed and runs Lantern on embedded SQLite (./lantern.db),
# printing the URL of the demo page. Settings come from the environment
# (see README); LANTERN_ADDR defaults to 127.0.0.1:8080.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$LANTERN_ROOT"
bash scripts/setup.sh
say "building the widget"
bash scripts/build-widget.sh
say "building the server (release)"
cargo build --release --quiet --bin lantern
exec target/release/lantern serve
