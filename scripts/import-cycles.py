#!/usr/bin/env python3
"""Reports import circles between the files of each crate under crates/.

A circle is a set of files in one crate that reach each other through their
imports (a strongly connected component of more than one file). Such files
cannot be read, changed or tested one at a time; the remedy is to move the
item they share into its own module.

What counts as an import of file A on file B: a `use` of an item that B
defines, or a path in A's code (`crate::x::f()`, `super::T`, `child::g()`)
that names such an item. Re-exports are followed to the file that defines
the item, so `use super::Error` reaches `error.rs` when `mod.rs` only says
`pub use error::Error`. A module's `pub use` of its own descendants is its
public face and no import of its own. Test code is left out: `#[cfg(test)]`
items and modules, and files reached only through them.

    python3 scripts/import-cycles.py            # all crates; exit 1 on a circle
    python3 scripts/import-cycles.py engine     # one crate
    python3 scripts/import-cycles.py --self-test
"""

import os
import re
import sys
from collections import defaultdict

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

# ---------------------------------------------------------------- tokens

TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<line_comment>//[^\n]*)
    | (?P<block_comment>/\*)
    | (?P<raw_string>b?r(?P<hashes>\#*)")
    | (?P<string>b?"(?:\\.|[^"\\])*")
    | (?P<char>b?'(?:\\u\{[0-9a-fA-F]+\}|\\.|[^'\\])')
    | (?P<lifetime>'[A-Za-z_][A-Za-z0-9_]*)
    | (?P<ident>r\#[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>[0-9][0-9A-Za-z_.]*)
    | (?P<path_sep>::)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def tokens(text):
    """Identifiers, `::` and single punctuation; comments and literals gone."""
    out = []
    i = 0
    while i < len(text):
        m = TOKEN.match(text, i)
        kind = m.lastgroup
        if kind == "block_comment":
            depth, j = 1, m.end()
            while depth and j < len(text):
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            i = j
            continue
        if m.group("raw_string") is not None:
            end = text.find('"' + m.group("hashes"), m.end())
            i = len(text) if end < 0 else end + 1 + len(m.group("hashes"))
            out.append("<lit>")
            continue
        i = m.end()
        if kind in ("ws", "line_comment"):
            continue
        if kind in ("string", "char", "number", "lifetime"):
            out.append("<lit>")
        else:
            out.append(m.group(kind))
    return out


def matching(toks, i, open_, close):
    """Index just past the bracket that closes the one at `i`."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j] == open_:
            depth += 1
        elif toks[j] == close:
            depth -= 1
            if depth == 0:
                return j + 1
    return len(toks)


def skip_item(toks, i):
    """Index just past the item starting at `i` (up to `;` or its block)."""
    while i < len(toks):
        if toks[i] == ";":
            return i + 1
        if toks[i] == "{":
            return matching(toks, i, "{", "}")
        if toks[i] in ("(", "["):
            i = matching(toks, i, toks[i], ")" if toks[i] == "(" else "]")
            continue
        i += 1
    return i


# ---------------------------------------------------------------- parsing


def use_leaves(toks, i, prefix):
    """Expands a use tree starting at `i`; returns (leaves, index after).

    A leaf is (path, alias); a glob has the alias `*`."""
    leaves, path = [], list(prefix)
    while i < len(toks):
        t = toks[i]
        if t == "{":
            end = matching(toks, i, "{", "}")
            j = i + 1
            while j < end - 1:
                sub, j = use_leaves(toks, j, path)
                leaves += sub
                if toks[j] == ",":
                    j += 1
            return leaves, end
        if t == "*":
            return [(path, "*")], i + 1
        if t == "::":
            i += 1
            continue
        if t in (",", ";", "}"):
            break
        if t == "as":
            leaves.append((path, toks[i + 1]))
            return leaves, i + 2
        if t == "self" and path:
            i += 1
            continue
        path.append(t)
        i += 1
    if path and path != list(prefix):
        leaves.append((path, path[-1]))
    return leaves, i


class File:
    def __init__(self, rel, module):
        self.rel = rel
        self.module = module  # the file's module path, e.g. ("kernels", "x86")
        self.uses = []  # (scope, path, alias, is_pub)
        self.refs = []  # (scope, path)
        self.children = {}  # scope -> {child module name}
        self.file_children = []  # names of `mod x;` outside test code
        self.inline = set()  # inline module paths, e.g. ("gguf", "write")


def parse(rel, module, text):
    f = File(rel, module)
    toks = tokens(text)
    # Pass 1: module declarations, to know which first segments are children.
    stack, depth = [(module, -1)], 0
    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "#" and i + 1 < len(toks) and toks[i + 1] in ("[", "!"):
            j = i + 1 if toks[i + 1] == "[" else i + 2
            end = matching(toks, j, "[", "]")
            if toks[j + 1 : end - 1] == ["cfg", "(", "test", ")"]:
                i = skip_item(toks, end)
                continue
            i = end
            continue
        if t == "mod" and i + 2 < len(toks):
            name, after = toks[i + 1], toks[i + 2]
            scope = stack[-1][0]
            f.children.setdefault(scope, set()).add(name)
            if after == ";" and scope == module:
                f.file_children.append(name)
            elif after == "{":
                f.inline.add(scope + (name,))
                stack.append((scope + (name,), depth))
                depth += 1
                i += 3
                continue
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
            if stack[-1][1] == depth:
                stack.pop()
        i += 1
    # Pass 2: uses and paths.
    stack, depth = [(module, -1)], 0
    i = 0
    while i < len(toks):
        t = toks[i]
        scope = stack[-1][0]
        if t == "#" and i + 1 < len(toks) and toks[i + 1] in ("[", "!"):
            j = i + 1 if toks[i + 1] == "[" else i + 2
            end = matching(toks, j, "[", "]")
            if toks[j + 1 : end - 1] == ["cfg", "(", "test", ")"]:
                i = skip_item(toks, end)
                continue
            i = end
            continue
        if t == "mod" and i + 2 < len(toks) and toks[i + 2] == "{":
            stack.append((scope + (toks[i + 1],), depth))
            depth += 1
            i += 3
            continue
        if t == "use":
            is_pub = i > 0 and (toks[i - 1] == "pub" or (toks[i - 1] == ")" and "pub" in toks[max(0, i - 6) : i]))
            leaves, i = use_leaves(toks, i + 1, [])
            for path, alias in leaves:
                f.uses.append((scope, tuple(path), alias, is_pub))
            continue
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
            if stack[-1][1] == depth:
                stack.pop()
        starts_path = (
            i + 1 < len(toks)
            and toks[i + 1] == "::"
            and (i == 0 or toks[i - 1] not in ("::", "$"))
            and (t in ("crate", "super", "self") or t in f.children.get(scope, ()))
        )
        if starts_path:
            path = [t]
            j = i + 1
            while j + 1 < len(toks) and toks[j] == "::" and re.match(r"[A-Za-z_]", toks[j + 1]):
                path.append(toks[j + 1])
                j += 2
            f.refs.append((scope, tuple(path)))
            i = j
            continue
        i += 1
    return f


# ---------------------------------------------------------------- crates


def load_crate(src_dir, sources=None):
    """Files of a crate's module tree, keyed by module path.

    `sources` (relative path -> text) replaces the disk in the self-test."""

    def read(rel):
        if sources is not None:
            return sources.get(rel)
        path = os.path.join(src_dir, rel)
        return open(path, encoding="utf-8").read() if os.path.exists(path) else None

    files = {}
    roots = [r for r in ("lib.rs", "main.rs") if read(r) is not None]
    for root in roots:
        todo = [(root, ())]
        while todo:
            rel, module = todo.pop()
            text = read(rel)
            if text is None or module in files and root != "lib.rs":
                continue
            f = parse(rel, module, text)
            # main.rs is another crate: keep its modules apart from lib.rs's.
            key = module if root == "lib.rs" else ("<main>",) + module
            if key in files:
                continue
            files[key] = f
            base = os.path.dirname(rel)
            if not (rel in roots or rel.endswith("mod.rs")):
                base = os.path.join(base, os.path.basename(rel)[:-3])
            for name in f.file_children:
                for cand in (os.path.join(base, name + ".rs"), os.path.join(base, name, "mod.rs")):
                    if read(cand) is not None:
                        todo.append((cand, module + (name,)))
                        break
    return files


def analyse(files):
    """Edges between files: {(from, to): {item, ...}}."""
    modules = {}  # module path -> File (inline modules map to their file)
    for f in files.values():
        modules[f.module] = f
        for m in f.inline:
            modules[m] = f
    tables = defaultdict(dict)  # module -> {alias: absolute path}

    def absolute(scope, path, f):
        if not path:
            return None
        head, rest = path[0], list(path[1:])
        if head == "crate":
            base = ()
        elif head == "self":
            base = scope
        elif head == "super":
            base = scope
            while True:
                base = base[:-1]
                if rest and rest[0] == "super":
                    rest.pop(0)
                    continue
                break
        elif head in f.children.get(scope, ()):
            base, rest = scope, [head] + rest
        elif head in tables[scope] and tables[scope][head] is not None:
            return tables[scope][head] + tuple(rest)
        else:
            return None  # another crate
        return tuple(base) + tuple(rest)

    for f in files.values():
        for scope, path, alias, _ in f.uses:
            if alias != "*":
                tables[scope][alias] = absolute(scope, path, f)

    def define(path, seen=()):
        """The file that defines the item at `path`, and the item's name."""
        for n in range(len(path), -1, -1):
            if path[:n] in modules:
                break
        else:
            return None, None
        mod, item = path[:n], path[n] if n < len(path) else None
        if item is not None and item in tables[mod] and tables[mod][item] and path not in seen:
            target = tables[mod][item] + path[n + 1 :]
            owner, name = define(target, seen + (path,))
            if owner is not None:
                return owner, name
        return modules[mod], item or (mod[-1] if mod else "crate")

    edges = defaultdict(set)
    for f in files.values():
        for scope, path, alias, is_pub in f.uses:
            target = absolute(scope, path, f)
            if target is None:
                continue
            if is_pub and target[: len(scope)] == scope and len(target) > len(scope):
                continue  # the module's public face
            owner, item = define(target)
            if owner is not None and owner is not f:
                edges[(f.rel, owner.rel)].add(item)
        for scope, path in f.refs:
            target = absolute(scope, path, f)
            if target is None:
                continue
            owner, item = define(target)
            if owner is not None and owner is not f:
                edges[(f.rel, owner.rel)].add(item)
    return edges


def circles(edges):
    """Strongly connected components of more than one file (Tarjan)."""
    graph = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def report(crate, files):
    edges = analyse(files)
    found = circles(edges)
    for comp in found:
        print(f"{crate}: circle of {len(comp)} files")
        members = set(comp)
        for (a, b), items in sorted(edges.items()):
            if a in members and b in members:
                print(f"    {a} -> {b}: {', '.join(sorted(items))}")
    return len(found)


# ---------------------------------------------------------------- self-test


def self_test():
    cases = [
        # A child that uses its parent's item while the parent calls the child.
        ({"lib.rs": "mod a;", "a/mod.rs": "mod b;\npub fn f() { b::g(); }",
          "a/b.rs": "use super::f;\npub fn g() {}"}, 1),
        # The parent only re-exports the child: its public face, no circle.
        ({"lib.rs": "mod a;", "a/mod.rs": "mod b;\npub use b::g;\npub struct T;",
          "a/b.rs": "use super::T;\npub fn g() {}"}, 0),
        # A re-export is followed to the defining file: x -> y through lib.rs.
        ({"lib.rs": "mod x; mod y; mod z;\npub use z::Z;",
          "x.rs": "use crate::y::Y; pub struct X;", "y.rs": "pub struct Y; fn f() { crate::Z; }",
          "z.rs": "use crate::x::X; pub struct Z;"}, 1),
        # Test code does not count, nor do strings and comments.
        ({"lib.rs": "mod x; mod y;", "x.rs": "pub fn f() { crate::y::g(); }",
          "y.rs": "pub fn g() { let s = \"crate::x::f\"; } // crate::x::f\n"
                  "#[cfg(test)]\nmod tests { use crate::x::f; }"}, 0),
        # An inline module's `super` is the file it sits in.
        ({"lib.rs": "mod x; mod y;", "x.rs": "pub mod w { use super::T; }\npub struct T;",
          "y.rs": "use crate::x::T;"}, 0),
    ]
    for n, (sources, want) in enumerate(cases):
        got = len(circles(analyse(load_crate("", sources))))
        assert got == want, f"case {n}: {got} circles, expected {want}"
    print(f"import-cycles self-test: {len(cases)} cases pass")


def main(args):
    if args == ["--self-test"]:
        self_test()
        return 0
    crates_dir = os.path.join(ROOT, "crates")
    names = args or sorted(os.listdir(crates_dir))
    total = 0
    for crate in names:
        src = os.path.join(crates_dir, crate, "src")
        if os.path.isdir(src):
            total += report(crate, load_crate(src))
    print(f"{total} import circle(s)" if total else "no import circles")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
