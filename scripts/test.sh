#!/usr/bin/env bash
# Runs every Lantern test: formatting and lints, the Rust unit and black-box
# API tests on SQLite and on a real Postgres (and Redis), the edge worker in
# workerd (wrangler dev), and the widget in headless Chromium (Playwright).
#
# Postgres/Redis: TEST_DATABASE_URL / TEST_REDIS_URL when set; else the local
# servers on their standard ports when reachable; else throwaway servers
# started here and stopped on exit.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$LANTERN_ROOT"

started=$(date +%s)
# The fault drills hold 1,000 client connections at once (and the server as
# many): lift the open-files limit to what the system allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
bash scripts/setup.sh --test
export PATH="$LANTERN_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
logs="$LANTERN_ROOT/target/test-logs"
rm -rf "$logs" && mkdir -p "$logs"

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

say "building the widget and the console (Trunk) and the edge worker (worker-build)"
bash scripts/build-widget.sh
# The widget's weight budgets (issue 22): a build over them fails the run.
say "widget weight"
bash scripts/widget-weight.sh || die "the widget is over its weight budget (scripts/widget-weight.sh)"
bash scripts/build-console.sh
bash scripts/build-worker.sh >"$logs/worker-build.log" 2>&1 || { cat "$logs/worker-build.log"; die "worker build failed"; }

# --- services ---------------------------------------------------------------
scratch="$(mktemp -d /tmp/lantern-test.XXXXXX)"
cleanup() {
  [ -n "${PG_CTL:-}" ] && $PG_AS "$PG_CTL" -D "$scratch/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -n "${REDIS_PID:-}" ] && kill "$REDIS_PID" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if port_open 127.0.0.1 5432; then
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
  else
    say "no Postgres reachable: starting a throwaway one"
    pg_bin="$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n1)")"
    PG_CTL="$pg_bin/pg_ctl"
    PG_AS=""
    mkdir -p "$scratch/pg"
    if [ "$(id -u)" -eq 0 ]; then # initdb refuses to run as root
      chown postgres "$scratch" "$scratch/pg"
      PG_AS="runuser -u postgres --"
    fi
    pg_port="$(free_port)"
    $PG_AS "$pg_bin/initdb" -U postgres -A trust -D "$scratch/pg" >/dev/null
    $PG_AS "$PG_CTL" -D "$scratch/pg" -l "$scratch/pg.log" -w \
      -o "-p $pg_port -k $scratch -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
  fi
fi
if [ -z "${TEST_REDIS_URL:-}" ]; then
  if port_open 127.0.0.1 6379; then
    export TEST_REDIS_URL="redis://127.0.0.1:6379"
  else
    say "no Redis reachable: starting a throwaway one"
    redis_port="$(free_port)"
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
      --dir "$scratch" >"$scratch/redis.log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 50); do port_open 127.0.0.1 "$redis_port" && break; sleep 0.1; done
    export TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
  fi
fi
say "Postgres: $TEST_DATABASE_URL   Redis: $TEST_REDIS_URL"
# Each API test creates its own database; drop those of earlier runs.
if command -v psql >/dev/null; then
  psql "$TEST_DATABASE_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'lantern\_test\_%'" 2>/dev/null |
    while read -r db; do psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
fi

# --- Rust tests -------------------------------------------------------------
say "cargo test"
cargo test --workspace --exclude lantern-widget --exclude lantern-console 2>&1 | tee "$logs/cargo.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || die "cargo test failed"
# The widget's own unit tests (SSE parser, strings…), natively.
cargo test -p lantern-widget --lib 2>&1 | tee -a "$logs/cargo.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || die "widget unit tests failed"

# --- worker in workerd, widget in Chromium ------------------------------------
say "building the lantern binary for the end-to-end tests"
cargo build --quiet --bin lantern
# --- the API under a schema fuzzer (scripts/fuzz-api.sh), both backends ------
fuzz_passed=0
fuzz_failed=0
if [ -x target/schemathesis/bin/schemathesis ] && command -v psql >/dev/null; then
  say "schema fuzzing (schemathesis) on SQLite and Postgres"
  fuzz_db="lantern_test_fuzz_$$"
  psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $fuzz_db" >/dev/null
  for url in "sqlite://$scratch/fuzz.db" "${TEST_DATABASE_URL%/*}/$fuzz_db"; do
    if bash scripts/fuzz-api.sh "$url" 15; then
      fuzz_passed=$((fuzz_passed + 1))
    else
      fuzz_failed=$((fuzz_failed + 1))
    fi
  done
  psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $fuzz_db" >/dev/null 2>&1 || true
else
  warn "schemathesis or psql is missing: the API was not fuzzed"
fi

say "end-to-end tests (node --test: workerd, Chromium)"
export LANTERN_BIN="$LANTERN_ROOT/target/debug/lantern"
export CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false
node --test --test-concurrency=1 tests/e2e/ 2>&1 | tee "$logs/e2e.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || die "end-to-end tests failed"

# --- one closing line for the whole run ---------------------------------------
passed=$(( $(grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$logs/cargo.log" | awk '{s+=$4} END {print s+0}') \
         + $(awk '/^# pass /{print $3}' "$logs/e2e.log" | tail -n1) + fuzz_passed ))
failed=$(( $(grep -oE '[0-9]+ failed' "$logs/cargo.log" | awk '{s+=$1} END {print s+0}') \
         + $(awk '/^# fail /{print $3}' "$logs/e2e.log" | tail -n1) + fuzz_failed ))
say "all tests finished in $(( $(date +%s) - started ))s"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
