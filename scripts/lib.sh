# Shared helpers for Lantern's scripts. Source it; do not run it.
# shellcheck shell=bash

LANTERN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
WORKER_BUILD_VERSION="0.8.7"
SCHEMATHESIS_VERSION="4.32.5"
# moto's server mode: the S3-compatible store the attachment tests start.
MOTO_VERSION="5.2.5"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf '\033[33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# The wasm-bindgen version locked in Cargo.lock: the CLI must match it exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' \
    "$LANTERN_ROOT/Cargo.lock"
}

# Which toolchain builds wasm32: "rustup" when rustup has the target's std,
# "debian" when Debian's rustc-web builds std from source.
wasm_mode_file() { echo "$LANTERN_ROOT/target/.wasm-toolchain"; }

# Puts the installed tools first on PATH and, for the Debian toolchain, sets
# up build-std with its own target directory (the two compilers would
# otherwise invalidate each other's artefacts).
wasm_env() {
  export PATH="$LANTERN_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
  local mode
  mode="$(cat "$(wasm_mode_file)" 2>/dev/null || echo rustup)"
  if [ "$mode" = debian ]; then
    export PATH="/usr/bin:$PATH"
    export RUSTC_BOOTSTRAP=1
    export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
    export CARGO_TARGET_DIR="$LANTERN_ROOT/target/wasm-debian"
  fi
}

# The widget's build, on top of wasm_env. When the standard library's
# sources are at hand (rustup's rust-src, or Debian's rust-web-src) std is
# rebuilt with panics as plain traps: no panic messages, locations or
# formatting machinery in the wasm every visitor downloads (about 15 KB of
# its gzip size). Without them the widget still builds, only heavier.
# Its own target dir: these flags differ from the worker's, and sharing one
# would rebuild the dependencies every time the other one is built.
widget_env() {
  wasm_env
  local src
  src="$(rustc --print sysroot)/lib/rustlib/src/rust/library"
  if [ -d "$src/std" ] || [ -n "${CARGO_UNSTABLE_BUILD_STD:-}" ]; then
    export RUSTC_BOOTSTRAP=1
    export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort"
  else
    warn "no std sources (rustup component add rust-src): the widget keeps its panic machinery"
  fi
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$LANTERN_ROOT/target}/widget"
}

# True when something listens on host:port.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Runs apt-get install for packages not yet installed (Debian only).
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "please install: ${missing[*]} (no apt-get here)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing ${missing[*]} (apt)"
  if [ ! -f /tmp/.lantern-apt-updated ]; then
    $sudo apt-get update -qq && touch /tmp/.lantern-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
