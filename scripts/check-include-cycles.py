#!/usr/bin/env python3
"""check-include-cycles.py - the module include graph of netcheck has no cycle (make lint-layers).

A module is a .c/.h pair with the same name: agent/engine.c with include/netcheck/engine.h,
probes/s3.c with include/netcheck/s3.h; agent/X_int.h, the private header of a module
split over several files, belongs to X. A header without a .c (creds_probe.h) or a .c without a
header (probes/families.c) is a module on its own; when agent/ and probes/ both have X.c,
agent/X.c pairs with X.h and probes/X.c stands alone. There is an edge X -> Y when X.c or X.h
includes Y.h ("netcheck/Y.h" or "Y.h"). A cycle means two modules know each other both ways
(docs/design.md, "Layers"): the script names every cycle it finds and exits 1.

Usage: scripts/check-include-cycles.py [ROOT]   (ROOT defaults to the repository top)
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"(?:netcheck/)?([A-Za-z0-9_]+)\.h"', re.M)
SOURCE_DIRS = ("agent", "probes")
HEADER_DIRS = ("include/netcheck", "agent")


def stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def files(root, d, ext):
    full = os.path.join(root, d)
    if not os.path.isdir(full):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(full) if f.endswith(ext))


def modules(root):
    """Maps each file (relative path) to its module name."""
    headers = {stem(h): h for d in HEADER_DIRS for h in files(root, d, ".h")}
    # X_int.h is module X's private header (agent/config_int.h): part of X.
    owner = {h: stem(h)[:-4] if stem(h).endswith("_int") and stem(h)[:-4] in headers else stem(h)
             for h in headers.values()}
    sources = [c for d in SOURCE_DIRS for c in files(root, d, ".c")]
    for c in sources:
        s = stem(c)
        paired = s in headers and (c.startswith("agent/") or
                                   not os.path.exists(os.path.join(root, "agent", s + ".c")))
        owner[c] = s if paired else c[:-2]
    return owner, headers


def graph(root):
    owner, headers = modules(root)
    edges = {}
    for path, mod in owner.items():
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for inc in INCLUDE.findall(text):
            if inc in headers and owner[headers[inc]] != mod:
                edges.setdefault(mod, {}).setdefault(owner[headers[inc]], path)
        edges.setdefault(mod, {})
    return edges


def cycles(edges):
    """One shortest cycle per strongly connected component of more than one module."""
    index, low, onstack, stack, sccs = {}, {}, set(), [], []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        onstack.add(v)
        for w in sorted(edges.get(v, {})):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in onstack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                onstack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            strong(v)
    found = []
    for comp in sccs:
        members = set(comp)
        start = comp[0]
        # Breadth-first from start back to start, inside the component: a shortest cycle.
        prev, queue, path = {}, [start], None
        while queue and path is None:
            v = queue.pop(0)
            for w in sorted(edges.get(v, {})):
                if w not in members:
                    continue
                if w == start:
                    path = [w]
                    while v != start:
                        path.append(v)
                        v = prev[v]
                    path.append(start)
                    path.reverse()
                    break
                if w not in prev:
                    prev[w] = v
                    queue.append(w)
        found.append((comp, path))
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    edges = graph(root)
    found = cycles(edges)
    if not found:
        n = sum(len(v) for v in edges.values())
        print("include graph: %d modules, %d edges, no cycle" % (len(edges), n))
        return 0
    for comp, path in found:
        steps = " -> ".join(path)
        print("include cycle: %s" % steps)
        for a, b in zip(path, path[1:]):
            print("  %s includes %s.h" % (edges[a][b], b if "/" not in b else stem(b)))
        if len(comp) > len(path) - 1:
            print("  (the same knot: %s)" % ", ".join(comp))
    return 1


if __name__ == "__main__":
    sys.exit(main())
