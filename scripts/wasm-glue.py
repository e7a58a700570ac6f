#!/usr/bin/env python3
"""Slims the widget's wasm and its wasm-bindgen JS glue together.

    scripts/wasm-glue.py WASM JS

Run by scripts/build-widget.sh after the last wasm-opt, before esbuild.
Every visitor downloads both files, so:

1. The glue's shims for imports the wasm no longer has go (wasm-opt
   dropped the code that called them).
2. wasm-streams' JS classes go (`IntoUnderlying*`, their finalizers and
   enum): their wasm exports were dropped before wasm-opt, and being
   exported the classes survive esbuild's tree shaking.
3. Custom sections go (`producers`, `target_features`, an empty marker):
   browsers do not read them.
4. Imports and exports get short names. wasm-bindgen names each import
   `__wbg_<name>_<16 hex digits>` and each closure export after its Rust
   type path (up to 400 characters); the names sit in the wasm and again
   in the glue, and the hex digits do not compress: about 3 KB of gzip.
   `memory` keeps its name (the browser tests read it).

Fails loudly when the glue is not shaped as this expects (wasm-bindgen
0.2.130): a missed name would only show as a broken widget.
"""
import re
import sys


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def enc(n):
    out = bytearray()
    while True:
        x = n & 0x7F
        n >>= 7
        if n:
            out.append(x | 0x80)
        else:
            out.append(x)
            return bytes(out)


def name_bytes(s):
    b = s.encode()
    return enc(len(b)) + b


def short_names():
    """a, b, …, Z, aa, ab, …: identifiers, none a JS keyword."""
    letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
    for c in letters:
        yield c
    for c in letters:
        for d in letters:
            if c + d not in ('do', 'if', 'in'):
                yield c + d


def skip_import_desc(b, k):
    kind = b[k]
    k += 1
    if kind == 0:  # function: type index
        _, k = leb(b, k)
    elif kind in (1, 2):  # table (reftype first) or memory: limits
        if kind == 1:
            k += 1
        fl, k = leb(b, k)
        _, k = leb(b, k)
        if fl & 1:
            _, k = leb(b, k)
    else:  # global: valtype, mutability
        k += 2
    return k


def main(wasm_path, js_path):
    b = open(wasm_path, 'rb').read()
    imports, exports = [], []  # (module, name, desc bytes) / (name, desc bytes)
    sections = []  # (id, body)
    i = 8
    while i < len(b):
        sid = b[i]
        size, j = leb(b, i + 1)
        body = b[j:j + size]
        i = j + size
        if sid == 2:
            n, k = leb(body, 0)
            for _ in range(n):
                fields = []
                for _ in range(2):
                    ln, k = leb(body, k)
                    fields.append(body[k:k + ln].decode())
                    k += ln
                k2 = skip_import_desc(body, k)
                imports.append((fields[0], fields[1], body[k:k2]))
                k = k2
        elif sid == 7:
            n, k = leb(body, 0)
            for _ in range(n):
                ln, k = leb(body, k)
                name = body[k:k + ln].decode()
                k += ln
                _, k2 = leb(body, k + 1)
                exports.append((name, body[k:k2]))
                k = k2
        sections.append((sid, body))

    modules = {m for m, _, _ in imports}
    if len(modules) != 1:
        sys.exit(f'expected one import module, found {sorted(modules)}')
    module = modules.pop()
    used = {n for _, n, _ in imports}
    gen = short_names()
    import_names = {n: next(gen) for n in sorted(used)}
    gen = short_names()
    export_names = {n: (n if n == 'memory' else next(gen)) for n, _ in exports}

    # The glue: drop and rename, line by line.
    lines = open(js_path).read().split('\n')
    out = []
    inside = skip = False
    dropped = 0
    in_class = None
    it = iter(lines)
    for line in it:
        # wasm-streams' classes, from `export class IntoUnderlying…` to the
        # `if (Symbol.dispose) …` line after it.
        m = re.match(r'^export class (IntoUnderlying\w*) \{$', line)
        if m:
            in_class = m.group(1)
            continue
        if in_class:
            if line.startswith(f'if (Symbol.dispose) {in_class}.prototype'):
                in_class = None
            continue
        # Their finalizers (three lines each) and their enum.
        if re.match(r'^const IntoUnderlying\w*Finalization = ', line):
            next(it)
            next(it)
            continue
        if line.startswith('const __wbindgen_enum_ReadableStreamType = '):
            continue
        # wasm-bindgen writes each import shim as one entry of the `import0`
        # object: its key at eight spaces' indent, its last line the next
        # one at that indent starting with `}`.
        if line.startswith('    const import0 = {'):
            inside = True
        elif line == '    };':
            inside = False
        if inside:
            m = re.match(r'^        (__wbg\w+|__wbindgen\w+): ', line)
            if m:
                skip = m.group(1) not in used
                dropped += skip
                if not skip:
                    line = line.replace(m.group(1), import_names[m.group(1)], 1)
            if skip:
                if line.startswith('        }'):
                    skip = False
                continue
        if line.strip() == f'"{module}": import0,':
            line = line.replace(f'"{module}"', 'a')
        out.append(line)
    js = '\n'.join(out)

    def export_ref(m):
        name = m.group(1)
        if name not in export_names:
            sys.exit(f'the glue calls wasm.{name}, which the wasm does not export')
        return 'wasm.' + export_names[name]

    js = re.sub(r'\bwasm\.([A-Za-z_$][\w$]*)', export_ref, js)
    keys = len(re.findall(r'^        [A-Za-z]+: function', js, re.M))
    if keys != len(import_names):
        sys.exit(f'{keys} import shims renamed, the wasm imports {len(import_names)}')
    for old in list(import_names) + [module]:
        if re.search(r'(?<![\w$])' + re.escape(old) + r'(?![\w$])', js):
            sys.exit(f'{old} is still named in the glue after renaming')
    if 'IntoUnderlying' in js:
        sys.exit('wasm-streams classes are still in the glue')
    open(js_path, 'w').write(js)

    # The wasm: the same names in its import and export sections.
    result = bytearray(b[:8])
    for sid, body in sections:
        if sid == 0:  # custom sections (producers, target features): unread by browsers
            continue
        if sid == 2:
            body = enc(len(imports)) + b''.join(
                name_bytes('a') + name_bytes(import_names[n]) + d for _, n, d in imports)
        elif sid == 7:
            body = enc(len(exports)) + b''.join(
                name_bytes(export_names[n]) + d for n, d in exports)
        result += bytes([sid]) + enc(len(body)) + body
    open(wasm_path, 'wb').write(result)
    print(f'glue: {dropped} unused import shims dropped, {len(imports)} imports and '
          f'{len(exports)} exports renamed', file=sys.stderr)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
