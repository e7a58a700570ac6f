#!/usr/bin/env python3
"""Where a wasm file's code bytes go, by crate.

Reads the function bodies and the `name` section of a wasm module (built
with names kept: `wasm-bindgen --keep-debug`, `wasm-opt --debuginfo`) and
sums each function's size under the first crate its name mentions, after
wasm-opt's inlining, so the figures are those of the shipped code. Prints
the largest crates and functions. Sizes are raw bytes of code; the data
section (strings, CSS) is one line of its own.

    scripts/wasm-crates.py FILE.wasm [TOP]
"""
import collections
import re
import sys


def leb(buf, i):
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def sections(buf):
    i = 8  # magic and version
    while i < len(buf):
        sid = buf[i]
        size, i = leb(buf, i + 1)
        yield sid, buf[i:i + size]
        i += size


def main(path, top):
    buf = open(path, 'rb').read()
    imported_funcs, bodies, names, data = 0, [], {}, 0
    for sid, body in sections(buf):
        if sid == 2:  # imports: function indices start after imported ones
            n, j = leb(body, 0)
            for _ in range(n):
                for _ in range(2):  # module, field
                    length, j = leb(body, j)
                    j += length
                kind = body[j]
                j += 1
                if kind == 0:
                    imported_funcs += 1
                    _, j = leb(body, j)
                elif kind == 1:  # table: type, limits
                    flags, j = leb(body, j + 1)
                    _, j = leb(body, j)
                    if flags & 1:
                        _, j = leb(body, j)
                elif kind == 2:  # memory: limits
                    flags, j = leb(body, j)
                    _, j = leb(body, j)
                    if flags & 1:
                        _, j = leb(body, j)
                else:  # global: type, mutability
                    j += 2
        elif sid == 10:
            n, j = leb(body, 0)
            for _ in range(n):
                size, k = leb(body, j)
                bodies.append(size + (k - j))
                j = k + size
        elif sid == 11:
            data = len(body)
        elif sid == 0:
            length, j = leb(body, 0)
            if body[j:j + length] != b'name':
                continue
            j += length
            while j < len(body):
                sub, size = body[j], None
                size, j = leb(body, j + 1)
                if sub == 1:
                    k = j
                    n, k = leb(body, k)
                    for _ in range(n):
                        idx, k = leb(body, k)
                        length, k = leb(body, k)
                        names[idx] = body[k:k + length].decode('utf-8', 'replace')
                        k += length
                j += size
    if not names:
        sys.exit(f'{path} has no function names: build it with names kept')

    funcs = []
    for i, size in enumerate(bodies):
        name = re.sub(r'\[[0-9a-f]+\]', '', names.get(imported_funcs + i, '?'))
        funcs.append((size, name))
    by_crate = collections.Counter()
    for size, name in funcs:
        m = re.search(r'([a-z_][a-z0-9_]*)::', name)
        by_crate[m.group(1) if m else '(glue and exports)'] += size
    total = sum(bodies)
    print(f'code {total} B in {len(bodies)} functions; data section {data} B')
    print(f'{"crate":<28} {"code B":>8} {"share":>6}')
    for crate, size in by_crate.most_common(top):
        print(f'{crate:<28} {size:>8} {100 * size / total:>5.1f}%')
    print(f'\nlargest functions:')
    for size, name in sorted(funcs, reverse=True)[:top]:
        print(f'{size:>8}  {name[:110]}')


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 15)
