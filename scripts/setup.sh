#!/usr/bin/env bash
# Installs what Lantern's build and tests need, skipping whatever is already
# present at the right version. Safe to run again and again.
#
#   scripts/setup.sh          what `scripts/run.sh` needs (wasm toolchain, Trunk)
#   scripts/setup.sh --test   also worker-build, wrangler, Playwright, Chromium
#
# Written for Debian-like machines (apt). Elsewhere install by hand: rustup
# with the wasm32-unknown-unknown target, Node.js >= 20 with npm, and
# `cargo install` of the tools below; Chromium at /usr/bin/chromium (or set
# CHROMIUM_PATH); Postgres and Redis servers for the tests.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$LANTERN_ROOT"

for_tests=0
[ "${1:-}" = "--test" ] && for_tests=1

command -v cargo >/dev/null || die "Rust is needed: install it with rustup (https://rustup.rs)"

# --- the wasm32 standard library -------------------------------------------
mkdir -p target
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo rustup >"$(wasm_mode_file)"
elif timeout 90 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
  echo rustup >"$(wasm_mode_file)"
else
  # rustup cannot download here: Debian's rustc-web builds std from source.
  warn "rustup could not fetch the wasm32 std; using Debian's rustc-web with build-std"
  apt_install rustc-web cargo-web rust-web-src lld-22
  # worker-build only checks that the sysroot has a wasm32 folder; std itself
  # comes from build-std.
  if [ ! -d /usr/lib/rustlib/wasm32-unknown-unknown/lib ]; then
    if [ "$(id -u)" -eq 0 ]; then mkdir -p /usr/lib/rustlib/wasm32-unknown-unknown/lib
    else sudo mkdir -p /usr/lib/rustlib/wasm32-unknown-unknown/lib; fi
  fi
  echo debian >"$(wasm_mode_file)"
fi
# std's sources let the widget's build drop the panic machinery (see
# widget_env in lib.sh); optional, so a failed download only warns.
if [ "$(cat "$(wasm_mode_file)")" = rustup ] \
   && [ ! -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library/std" ] \
   && ! timeout 90 rustup component add rust-src >/dev/null 2>&1; then
  warn "could not fetch rust-src: the widget will be built with its panic machinery"
fi

# --- cargo-installed tools, reused when present at the right version ------
cargo_tool() { # binary version crate [extra cargo install args]
  local bin=$1 version=$2 crate=$3
  shift 3
  if command -v "$bin" >/dev/null && "$bin" --version 2>/dev/null | grep -qF "$version"; then
    return 0
  fi
  say "installing $crate $version (cargo install; minutes on a cold machine)"
  cargo install --quiet "$crate" --version "$version" "$@"
}
export PATH="$HOME/.cargo/bin:$PATH"
# Plain install: --locked fails on a yanked transitive crate of this version.
cargo_tool wasm-bindgen "$(wasm_bindgen_version)" wasm-bindgen-cli
cargo_tool trunk "$TRUNK_VERSION" trunk --locked
[ $for_tests = 1 ] && cargo_tool worker-build "$WORKER_BUILD_VERSION" worker-build

# Zopfli: the widget's precompressed .gz files (smaller than gzip -9).
if ! command -v zopfli >/dev/null; then
  if command -v apt-get >/dev/null; then apt_install zopfli
  else warn "zopfli not found: the widget's .gz files will be gzip -9"; fi
fi

# --- npm packages: wasm-opt (binaryen), wrangler, playwright-core ----------
if ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- the browser and the services the tests use ---------------------------
if [ $for_tests = 1 ]; then
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || apt_install chromium
  # Postgres and Redis are only installed when none is reachable; the test
  # script then starts throwaway servers from these binaries.
  if [ -z "${TEST_DATABASE_URL:-}" ] && ! port_open 127.0.0.1 5432 \
     && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt_install postgresql
  fi
  if [ -z "${TEST_REDIS_URL:-}" ] && ! port_open 127.0.0.1 6379 && ! command -v redis-server >/dev/null; then
    apt_install redis-server
  fi
  # The schema fuzzer (scripts/fuzz-api.sh), in a venv of its own; the
  # tests skip it, saying so, when Python cannot provide it.
  st="$LANTERN_ROOT/target/schemathesis"
  if command -v python3 >/dev/null \
     && ! "$st/bin/schemathesis" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
    say "installing schemathesis $SCHEMATHESIS_VERSION (PyPI, into target/schemathesis)"
    rm -rf "$st"
    { python3 -m venv "$st" && "$st/bin/pip" install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION"; } || { warn "could not install schemathesis"; rm -rf "$st"; }
  fi
  # moto's S3 server, in the same venv: the attachment store's S3 tests
  # start it (and fail, saying to run this script, when it is missing).
  if [ -x "$st/bin/pip" ] \
     && ! "$st/bin/pip" show moto 2>/dev/null | grep -qx "Version: $MOTO_VERSION"; then
    say "installing moto[server] $MOTO_VERSION (PyPI, into target/schemathesis)"
    "$st/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" \
      || warn "could not install moto: the S3 attachment tests will fail"
  fi
fi
say "set-up complete (wasm toolchain: $(cat "$(wasm_mode_file)"))"
