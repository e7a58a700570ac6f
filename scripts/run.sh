#!/usr/bin/env bash
# Builds what is needed and runs Lantern on embedded SQLite (./lantern.db),
# printing the URLs of the demo page and the owner console (with a one-time
# sign-in link on the first start of an empty database). Settings come from the environment
# (see README); LANTERN_ADDR defaults to 127.0.0.1:8080.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$LANTERN_ROOT"
bash scripts/setup.sh
say "building the widget"
bash scripts/build-widget.sh
say "building the console"
bash scripts/build-console.sh
say "building the server (release)"
cargo build --release --quiet --bin lantern
addr="${LANTERN_ADDR:-127.0.0.1:8080}"
say "console: http://${addr/0.0.0.0/127.0.0.1}/console/ (on the first start of an empty database, sign in with the one-time link printed below)"
# The demo site (and its owner's one-time sign-in link) on an empty database;
# a production deployment leaves LANTERN_DEMO unset.
export LANTERN_DEMO="${LANTERN_DEMO:-1}"
exec target/release/lantern serve
