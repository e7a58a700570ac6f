#!/usr/bin/env bash
# Fetches the real-text benchmark corpus: Debian's English manual pages
# (packages manpages, manpages-dev, git-man, tcl8.6-doc), one document per
# page, and one visitor-style question per page made by a rule from its NAME
# line ("ls - list directory contents" -> "How do I list directory
# contents?"). Idempotent: a finished cache is left alone.
#
#   bash scripts/fetch-corpus.sh [CACHE_DIR]      (default target/corpus)
#
# Writes CACHE_DIR/docs.jsonl      {title, body, url, language, format}
#        CACHE_DIR/questions.jsonl {question, expected_url}
# Needs apt-get (run `apt-get update` once first), dpkg-deb, man, col, python3.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CACHE="${1:-$LANTERN_ROOT/target/corpus}"
PACKAGES=(manpages manpages-dev git-man tcl8.6-doc)
STAMP="$CACHE/.done-v2-${PACKAGES[*]// /-}"

if [ -f "$STAMP" ] && [ -s "$CACHE/docs.jsonl" ] && [ -s "$CACHE/questions.jsonl" ]; then
  say "corpus already in $CACHE ($(wc -l <"$CACHE/docs.jsonl") documents)"
  exit 0
fi
for tool in apt-get dpkg-deb man col python3; do
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

say "rendering pages to text"
python3 "$LANTERN_ROOT/scripts/corpus_manpages.py" "$CACHE" "${PACKAGES[@]}"
touch "$STAMP"
say "corpus ready: $(wc -l <"$CACHE/docs.jsonl") documents, $(wc -l <"$CACHE/questions.jsonl") questions in $CACHE"
