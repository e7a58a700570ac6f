#!/usr/bin/env python3
"""Turns Debian's help packages into the retrieval evaluation corpus.

Usage: corpus_help.py CACHE_DIR   (called by scripts/fetch-eval-corpus.sh)

Sources (extracted under CACHE_DIR/root/PKG), none written by this project:

* gnome-user-docs (GNOME Help, CC-BY-SA 3.0): Mallard pages in English (C),
  French, German and Spanish. One document per page: its title and its text,
  sections as `##` headings. The page's `<desc>` (a one-line summary shown in
  topic lists, not in the page itself) becomes the question, unedited; the
  translations of a page give the aligned questions in the other languages.
* debian-handbook (The Debian Administrator's Handbook, GPL-2+ or
  CC-BY-SA 3.0), the Arabic translation (ar-MA): one document per
  subsection (h3) of the chapters that are translated into Arabic (most
  Arabic letters). The question is made by one rule from the subsection's
  title: "أخبرني عن <title>" ("tell me about <title>"), numbering removed.

Follow-ups, by two rules, each two turns whose answer is the first turn's
document:
* "section": a page (or subsection) with inner sections gives its question,
  then "And what about <first inner section title>?" (fr "Et pour …", de
  "Und was ist mit …", es "¿Y qué hay de …", ar "وماذا عن …");
* "pronoun": every fifth question (in file order) is followed by "Can you
  explain that in more detail?" in its language, which names nothing: only
  the conversation says what "that" is.

Questions whose text is shared by several documents are dropped (ambiguous).
Writes CACHE_DIR/docs.jsonl, questions.jsonl, followups.jsonl.
"""

import html
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

MAL = "{http://projectmallard.org/1.0/}"
GNOME_LANGS = {"C": "en", "fr": "fr", "de": "de", "es": "es"}
FOLLOW = {
    "en": "And what about {}?",
    "fr": "Et pour {} ?",
    "de": "Und was ist mit {}?",
    "es": "¿Y qué hay de {}?",
    "ar": "وماذا عن {}؟",
}
PRONOUN = {
    "en": "Can you explain that in more detail?",
    "fr": "Pouvez-vous m'expliquer cela plus en détail ?",
    "de": "Können Sie das genauer erklären?",
    "es": "¿Puede explicarlo con más detalle?",
    "ar": "هل يمكنك شرح ذلك بمزيد من التفصيل؟",
}
ARABIC = re.compile(r"[\u0600-\u06FF]")
LATIN = re.compile(r"[A-Za-z]")


def text_of(el) -> str:
    """All text inside `el`, tags dropped, whitespace collapsed."""
    return " ".join("".join(el.itertext()).split())


def block_lines(el, out):
    """Markdown lines of a Mallard block element and its children."""
    tag = el.tag.replace(MAL, "")
    if tag in ("info", "comment", "media", "links"):
        return
    if tag == "title":
        return  # section titles are written by the caller
    if tag == "section":
        title = el.find(f"{MAL}title")
        if title is not None:
            out.append("")
            out.append("## " + text_of(title))
        for child in el:
            block_lines(child, out)
        return
    if tag in ("p", "code", "screen", "title", "subtitle"):
        t = text_of(el)
        if t:
            out.append("")
            out.append(t)
        return
    if tag == "item" and el.find(f"{MAL}p") is not None and len(el) == 1:
        out.append("- " + text_of(el))
        return
    for child in el:
        block_lines(child, out)


def gnome(root: Path):
    """(doc, question, followup) per page and language."""
    base = root / "gnome-user-docs/usr/share/help"
    for folder, lang in GNOME_LANGS.items():
        for path in sorted((base / folder / "gnome-help").glob("*.page")):
            try:
                page = ET.parse(path).getroot()
            except ET.ParseError:
                continue
            if page.get("type") == "guide":
                continue  # lists of links, no text of their own
            info = page.find(f"{MAL}info")
            desc = info.find(f"{MAL}desc") if info is not None else None
            title = page.find(f"{MAL}title")
            if desc is None or title is None:
                continue
            lines = []
            for child in page:
                block_lines(child, lines)
            body = "\n".join(lines).strip()
            if len(body) < 80:
                continue
            url = f"https://help.example/gnome-help/{lang}/{path.stem}"
            sections = [text_of(s.find(f"{MAL}title")) for s in page.findall(f"{MAL}section")
                        if s.find(f"{MAL}title") is not None]
            yield lang, text_of(title), body, url, text_of(desc), sections


def strip_number(title: str) -> str:
    return re.sub(r"^[\d.]+\s*", "", title.replace("\u200f", "")).strip()


def html_text(fragment: str) -> str:
    fragment = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", fragment, flags=re.S)
    fragment = re.sub(r"<h4[^>]*>(.*?)</h4>", lambda m: "\n\n## " + strip_number(
        html.unescape(re.sub(r"<[^>]+>", "", m.group(1)))) + "\n\n", fragment, flags=re.S)
    fragment = re.sub(r"</(p|div|pre|li|dt|dd|tr)>", "\n\n", fragment)
    text = html.unescape(re.sub(r"<[^>]+>", " ", fragment))
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paras if p)


def handbook(root: Path):
    """Arabic subsections of the translated chapters of the handbook."""
    base = root / "debian-handbook/usr/share/doc/debian-handbook/html/ar-MA"
    for path in sorted(base.glob("sect.*.html")):
        page = path.read_text(encoding="utf-8")
        plain = re.sub(r"<[^>]+>", " ", page)
        if len(ARABIC.findall(plain)) <= len(LATIN.findall(plain)):
            continue  # not translated
        page = page.split('<ul class="docnav">')[0]
        heads = list(re.finditer(r"<h3[^>]*>(.*?)</h3>", page, flags=re.S))
        for i, h in enumerate(heads):
            title = strip_number(html.unescape(re.sub(r"<[^>]+>", "", h.group(1))))
            end = heads[i + 1].start() if i + 1 < len(heads) else len(page)
            chunk = page[h.end():end]
            body = html_text(chunk)
            if len(body) < 80 or not ARABIC.search(title):
                continue
            subs = [strip_number(html.unescape(re.sub(r"<[^>]+>", "", s)))
                    for s in re.findall(r"<h4[^>]*>(.*?)</h4>", chunk, flags=re.S)]
            anchor = re.search(r'id="([^"]+)"', h.group(0))
            url = f"https://handbook.example/ar/{path.stem}#{anchor.group(1) if anchor else i}"
            yield "ar", title, body, url, f"أخبرني عن {title}", subs


def main():
    cache = Path(sys.argv[1])
    root = cache / "root"
    rows = list(gnome(root)) + list(handbook(root))
    counts = Counter((lang, q) for lang, _, _, _, q, _ in rows)
    seen_urls = set()
    asked = 0
    with open(cache / "docs.jsonl", "w") as docs, open(cache / "questions.jsonl", "w") as qs, \
            open(cache / "followups.jsonl", "w") as fus:
        for lang, title, body, url, question, sections in rows:
            if url in seen_urls:
                continue
            seen_urls.add(url)
            docs.write(json.dumps({"title": title, "body": body[:190_000], "url": url,
                                   "language": lang, "format": "markdown"},
                                  ensure_ascii=False) + "\n")
            if counts[(lang, question)] != 1:
                continue
            qs.write(json.dumps({"question": question, "expected_url": url, "language": lang},
                                ensure_ascii=False) + "\n")
            asked += 1
            if asked % 5 == 0:
                fus.write(json.dumps({"turns": [question, PRONOUN[lang]], "expected_url": url,
                                      "language": lang, "kind": "pronoun"},
                                     ensure_ascii=False) + "\n")
            if sections and sections[0]:
                follow = FOLLOW[lang].format(sections[0][0].lower() + sections[0][1:]
                                             if lang != "de" else sections[0])
                fus.write(json.dumps({"turns": [question, follow], "expected_url": url,
                                      "language": lang, "kind": "section"},
                                     ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
