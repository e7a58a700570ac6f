#!/usr/bin/env bash
# Fetches the real-text benchmark corpus: Debian's manual pages, one document
# per page, and one visitor-style question per page made by a rule from its
# NAME line ("ls - list directory contents" -> "How do I list directory
# contents?"; see scripts/corpus_manpages.py). Idempotent: a finished cache is
# left alone.
#
#   [CORPUS_LANGS="en fr"] bash scripts/fetch-corpus.sh [CACHE_DIR]   (default target/corpus)
#
# English (packages manpages, manpages-dev, git-man, tcl8.6-doc) writes
#   CACHE_DIR/docs.jsonl      {title, body, url, language, format}
#   CACHE_DIR/questions.jsonl {question, expected_url}
# French (manpages-fr, manpages-fr-dev; optional) writes docs.fr.jsonl and
# questions.fr.jsonl. The pages are not in the repository: each package's
# copyright file (CACHE_DIR/root/PKG/usr/share/doc/PKG/copyright) gives its
# licences (man-pages: mostly the "Verbatim" licence, some GPL/BSD; git: GPL-2;
# Tcl: BSD-style; manpages-l10n translations: GPL-3+).
# Needs apt-get (run `apt-get update` once first), dpkg-deb, man, col, python3.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CACHE="${1:-$LANTERN_ROOT/target/corpus}"
read -r -a LANGS <<<"${CORPUS_LANGS:-en}"
for tool in apt-get dpkg-deb man col python3; do
  command -v "$tool" >/dev/null || die "$tool is needed"
done

packages_for() {
  case "$1" in
    en) echo manpages manpages-dev git-man tcl8.6-doc ;;
    fr) echo manpages-fr manpages-fr-dev ;;
    *) die "no manual-page packages known for language $1 (en, fr)" ;;
  esac
}

for lang in "${LANGS[@]}"; do
  read -r -a PACKAGES <<<"$(packages_for "$lang")"
  suffix=""; [ "$lang" = en ] || suffix=".$lang"
  STAMP="$CACHE/.done-v3-$lang"
  if [ -f "$STAMP" ] && [ -s "$CACHE/docs$suffix.jsonl" ] && [ -s "$CACHE/questions$suffix.jsonl" ]; then
    say "corpus ($lang) already in $CACHE ($(wc -l <"$CACHE/docs$suffix.jsonl") documents)"
    continue
  fi
  mkdir -p "$CACHE/debs" "$CACHE/root"
  say "downloading ${PACKAGES[*]}"
  (cd "$CACHE/debs" && apt-get download "${PACKAGES[@]}" >"$CACHE/download.log" 2>&1) ||
    die "apt-get download failed (run apt-get update first?): $(tail -n 3 "$CACHE/download.log")"
  for pkg in "${PACKAGES[@]}"; do
    deb="$(ls "$CACHE/debs/${pkg}"_*.deb | head -n1)"
    rm -rf "${CACHE:?}/root/$pkg"
    dpkg-deb -x "$deb" "$CACHE/root/$pkg"
  done
  say "rendering $lang pages to text"
  python3 "$LANTERN_ROOT/scripts/corpus_manpages.py" "$CACHE" "$lang" "${PACKAGES[@]}"
  touch "$STAMP"
  say "corpus ($lang) ready: $(wc -l <"$CACHE/docs$suffix.jsonl") documents, $(wc -l <"$CACHE/questions$suffix.jsonl") questions in $CACHE"
done
