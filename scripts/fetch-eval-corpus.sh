#!/usr/bin/env bash
# Fetches the retrieval evaluation corpus: GNOME Help (package gnome-user-docs,
# CC-BY-SA 3.0) in English, French, German and Spanish, and the Arabic
# chapters of The Debian Administrator's Handbook (package debian-handbook,
# GPL-2+ / CC-BY-SA 3.0), with questions and follow-ups made by rule (see
# scripts/corpus_help.py). Nothing of it is in the repository. Idempotent.
#
#   bash scripts/fetch-eval-corpus.sh [CACHE_DIR]   (default target/eval-corpus)
#
# Needs apt-get (run `apt-get update` once first), dpkg-deb, python3.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CACHE="${1:-$LANTERN_ROOT/target/eval-corpus}"
PACKAGES=(gnome-user-docs debian-handbook)
STAMP="$CACHE/.done-v2"
if [ -f "$STAMP" ] && [ -s "$CACHE/docs.jsonl" ]; then
  say "evaluation corpus already in $CACHE ($(wc -l <"$CACHE/docs.jsonl") documents)"
  exit 0
fi
for tool in apt-get dpkg-deb python3; do
  command -v "$tool" >/dev/null || die "$tool is needed"
done
mkdir -p "$CACHE/debs" "$CACHE/root"
say "downloading ${PACKAGES[*]}"
(cd "$CACHE/debs" && apt-get download "${PACKAGES[@]}" >"$CACHE/download.log" 2>&1) ||
  die "apt-get download failed (run apt-get update first?): $(tail -n 3 "$CACHE/download.log")"
for pkg in "${PACKAGES[@]}"; do
  deb="$(ls "$CACHE/debs/${pkg}"_*.deb | head -n1)"
  rm -rf "${CACHE:?}/root/$pkg"
  dpkg-deb -x "$deb" "$CACHE/root/$pkg"
done
python3 "$LANTERN_ROOT/scripts/corpus_help.py" "$CACHE"
touch "$STAMP"
say "evaluation corpus ready: $(wc -l <"$CACHE/docs.jsonl") documents, $(wc -l <"$CACHE/questions.jsonl") questions, $(wc -l <"$CACHE/followups.jsonl") follow-ups in $CACHE"
