#!/usr/bin/env bash
# Retrieval evaluation on real text (scripts/fetch-eval-corpus.sh): top-1,
# top-3 and MRR per language and backend, follow-ups, search latency.
#
#   bash scripts/eval.sh [sqlite|postgres]   (TEST_DATABASE_URL for Postgres)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$LANTERN_ROOT/scripts/fetch-eval-corpus.sh"
cd "$LANTERN_ROOT"
exec cargo run -q -p lantern-tests --example eval -- "$@"
