#!/usr/bin/env python3
"""Turns extracted Debian manual-page packages into the benchmark corpus.

Usage: corpus_manpages.py CACHE_DIR LANG PACKAGE...   (called by fetch-corpus.sh)

Each page in LANG (en: usr/share/man/manN/*, fr: usr/share/man/fr/manN/*; not
the .so alias stubs) is rendered
by man(1) to plain text and written as one markdown document: sections become
`##` headings, subsections `###`, paragraphs are dedented. Each page also
gives one question, made by one rule from its NAME line and never edited by
hand:

    NAME  "ls - list directory contents"
    ->    "How do I list directory contents?"      (description starts with a verb)
    NAME  "proc - process information pseudo-filesystem"
    ->    "What is process information pseudo-filesystem?"   (otherwise)

A description "starts with a verb" when its first word is, somewhere in the
corpus, the first word of a description whose second word is an article
("convert a string", "get the time"): the verb list is learned from the
corpus itself. Descriptions shared by several pages are ambiguous and give no
question. The page's own names never appear in its question.

French (LANG fr, packages manpages-fr, manpages-fr-dev): descriptions start
with an infinitive ("ls - Afficher le contenu de répertoires") when the first
word ends in -er, -ir, -re or -oir, giving "Comment afficher le contenu de
répertoires ?", else "Qu'est-ce que … ?". English goes to docs.jsonl and
questions.jsonl, other languages to docs.LANG.jsonl and questions.LANG.jsonl.
"""

import concurrent.futures
import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

# The server takes documents of up to 200 KiB; longer pages (one: git-config)
# are cut at the last paragraph break before this many bytes.
MAX_BODY_BYTES = 190_000
ARTICLES = {"a", "an", "the", "all", "one", "some", "its", "their", "or", "and"}
NAME_SECTION = {"en": "NAME", "fr": "NOM"}
NAME_SPLIT = re.compile(r"\s+[-\u2212\u2010\u2013\u2014]+\s+")


def pages(root: Path, lang: str):
    """(path, name, section) of each real page in `lang` under root."""
    pattern = "usr/share/man/man*/*" if lang == "en" else f"usr/share/man/{lang}/man*/*"
    for path in sorted(root.glob(pattern)):
        if path.is_symlink() or not path.is_file():
            continue
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
        if raw.lstrip().startswith(b".so "):
            continue  # an alias of another page
        base = path.name[:-3] if path.suffix == ".gz" else path.name
        name, _, section = base.rpartition(".")
        yield path, name, section


def render(path: Path) -> str:
    env = dict(os.environ, MANWIDTH="100", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    env.pop("MAN_KEEP_FORMATTING", None)
    out = subprocess.run(
        f"man -l --nh --nj {str(path)!r} 2>/dev/null | col -bx",
        shell=True, env=env, capture_output=True, check=False,
    ).stdout
    return out.decode("utf-8", "replace")


def is_section(line: str) -> bool:
    return line[0].isalpha() and line.upper() == line and any(c.isalpha() for c in line)


def to_markdown(text: str, lang: str):
    """(markdown body, NAME paragraph) of a rendered page."""
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    lines = lines[1:-1]  # running header and footer
    out, name_lines, section = [], [], None
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if not stripped:
            out.append("")
        elif indent == 0 and is_section(stripped):
            section = stripped
            out += ["", "## " + stripped.title(), ""]
        elif indent == 3 and len(stripped) < 80:
            out += ["", "### " + stripped, ""]
        else:
            if stripped[0] in "#>|`=":
                stripped = "\\" + stripped
            out.append(stripped)
            if section == NAME_SECTION.get(lang, "NAME"):
                name_lines.append(stripped)
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
    if len(body.encode()) > MAX_BODY_BYTES:
        cut = body.encode()[:MAX_BODY_BYTES].decode("utf-8", "ignore")
        body = cut[: cut.rfind("\n\n")].rstrip()
    return body, " ".join(name_lines)


def doc_for(lang: str, pkg: str, path: Path, name: str, section: str):
    body, name_para = to_markdown(render(path), lang)
    if len(body.split()) < 20:
        return None
    parts = NAME_SPLIT.split(name_para, maxsplit=1)
    names = [n.strip() for n in parts[0].split(",") if n.strip()] if len(parts) == 2 else [name]
    desc = parts[1].strip().rstrip(".") if len(parts) == 2 else ""
    return {
        "title": f"{name}({section})",
        "body": body,
        "url": f"https://manpages.debian.org/bookworm/{pkg}/{name}.{section}.{lang}.html",
        "language": lang,
        "format": "markdown",
        "_names": names + [name],
        "_desc": desc,
    }


def first_word(desc: str) -> str:
    return desc.split()[0].split("/")[0].lower() if desc.split() else ""


def starts_with_verb(desc: str, verbs) -> bool:
    """The first word is a learned verb (and not "list of ..."), or leads a
    list of verbs ("read, modify and delete", "map or unmap")."""
    words = [w.strip(",").lower() for w in desc.split()]
    if len(words) > 1 and words[1] == "of":
        return False
    if first_word(desc) in verbs:
        return True
    for i, w in enumerate(words[1:4], start=1):
        if w in ("and", "or") and i + 1 < len(words):
            return words[i + 1] in verbs
        if not desc.split()[i - 1].endswith(","):
            return False
    return False


def question(desc: str, names, verbs, lang: str) -> str | None:
    words = desc.split()
    if len(words) < 2:
        return None
    lowered = {n.lower() for n in names}
    if any(w.strip("(),.:;").lower() in lowered for w in words):
        return None  # the page's own name would give the answer away
    first = words[0]
    if not (len(first) > 1 and first[1:].lower() != first[1:]):  # not an acronym
        first = first[0].lower() + first[1:]
    phrase = " ".join([first] + words[1:])
    if lang == "fr":
        if first_word(desc).endswith(("er", "ir", "re", "oir")):
            return f"Comment {phrase} ?"
        return f"Qu'est-ce que {phrase} ?"
    if starts_with_verb(desc, verbs):
        return f"How do I {phrase}?"
    return f"What is {phrase}?"


def main() -> None:
    cache, lang = Path(sys.argv[1]), sys.argv[2]
    jobs = [(lang, pkg, *p) for pkg in sys.argv[3:] for p in pages(cache / "root" / pkg, lang)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        docs = [d for d in pool.map(lambda j: doc_for(*j), jobs) if d]
    seen_urls = set()
    docs = [d for d in docs if not (d["url"] in seen_urls or seen_urls.add(d["url"]))]
    verbs = {
        first_word(d["_desc"])
        for d in docs
        if len(d["_desc"].split()) > 1 and d["_desc"].split()[1].lower() in ARTICLES
    }
    by_desc: dict[str, int] = {}
    for d in docs:
        by_desc[d["_desc"].lower()] = by_desc.get(d["_desc"].lower(), 0) + 1
    questions = []
    for d in docs:
        if by_desc[d["_desc"].lower()] == 1:
            q = question(d["_desc"], d["_names"], verbs, lang)
            if q:
                questions.append({"question": q, "expected_url": d["url"]})
    suffix = "" if lang == "en" else f".{lang}"
    with open(cache / f"docs{suffix}.jsonl", "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({k: v for k, v in d.items() if not k.startswith("_")}, ensure_ascii=False) + "\n")
    with open(cache / f"questions{suffix}.jsonl", "w", encoding="utf-8") as f:
        for q in questions:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    print(f"{lang}: {len(docs)} documents, {len(questions)} questions, {len(verbs)} verbs learned", file=sys.stderr)


if __name__ == "__main__":
    main()
