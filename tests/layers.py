#!/usr/bin/env python3
"""layers.py SRC [NUMBER] - check the shape of SRC: its include lines against
SRC/LAYERS and print TAP lines (without the plan) numbered from NUMBER+1;
the last line of output is "# N tests, F failed".

A module is a path under SRC without its extension: src/conf/policy.c
and src/conf/policy.h are the module conf/policy.  Checked:
  - every folder of SRC is a layer in LAYERS, and every layer a folder;
  - every #include "..." names a header under SRC by its folder;
  - no module includes a header of a layer listed after its own;
  - no two modules share a file name (src/liblicsync.a holds them all);
  - the modules' includes form no cycle;
  - no file is over MAX_LINES lines, no function over MAX_FUNCTION (a
    function: from its name at the start of a line to the first "}"
    that starts one, with the line of its type before it).
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
FUNCTION = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)\(')
MAX_LINES = 800
MAX_FUNCTION = 80


def too_long(path):
    """The problems of one file: its length, its functions' lengths."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    bad = []
    if len(lines) > MAX_LINES:
        bad.append("%s: %d lines, more than %d" % (path, len(lines),
                                                  MAX_LINES))
    i = 0
    while i < len(lines):
        m = FUNCTION.match(lines[i])
        if m and not lines[i].rstrip().endswith(";"):
            j = i
            while j < len(lines) and lines[j] != "}":
                j += 1
            n = j - i + 2
            if n > MAX_FUNCTION:
                bad.append("%s:%d: %s() is %d lines, more than %d" %
                           (path, i + 1, m.group(1), n, MAX_FUNCTION))
            i = j
        i += 1
    return bad


def read_layers(src):
    order = []
    with open(os.path.join(src, "LAYERS")) as f:
        for line in f:
            if line.startswith("#") or not line.strip() or line[0].isspace():
                continue
            order.append(line.split()[0])
    return order


def modules(src):
    """{module: [(file, line number, included header)]}"""
    mods = {}
    for folder in sorted(os.listdir(src)):
        d = os.path.join(src, folder)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith((".c", ".h")):
                continue
            mod = folder + "/" + name[:-2]
            incs = mods.setdefault(mod, [])
            path = os.path.join(d, name)
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if m:
                        incs.append((folder + "/" + name, n, m.group(1)))
    return mods


def find_cycle(graph):
    """A list of modules forming a cycle, or None."""
    state = {}
    stack = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state:
                c = visit(n)
                if c:
                    return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            c = visit(m)
            if c:
                return c
    return None


def main():
    src = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    failed = 0
    count = 0

    def result(good, desc, detail=()):
        nonlocal failed, count
        count += 1
        print("%s %d - %s" % ("ok" if good else "not ok", n + count, desc))
        if not good:
            failed += 1
            for d in detail:
                print("# " + d)

    order = read_layers(src)
    rank = {name: i for i, name in enumerate(order)}
    folders = sorted(f for f in os.listdir(src)
                     if os.path.isdir(os.path.join(src, f)))
    result(sorted(order) == folders,
           "the folders of src/ are the layers of src/LAYERS",
           ["folders: " + " ".join(folders), "layers: " + " ".join(order)])

    mods = modules(src)
    graph = {}
    for mod in sorted(mods):
        layer = mod.split("/")[0]
        bad = []
        for path, line, header in mods[mod]:
            target = header[:-2] if header.endswith(".h") else header
            tlayer = target.split("/")[0] if "/" in target else None
            if (tlayer is None or not header.endswith(".h") or
                    not os.path.isfile(os.path.join(src, header))):
                bad.append('%s:%d: "%s" is not a header of src/ named by '
                           'its folder' % (path, line, header))
                continue
            if tlayer not in rank or layer not in rank:
                bad.append("%s:%d: %s is not a layer of src/LAYERS" %
                           (path, line, tlayer if tlayer not in rank
                            else layer))
                continue
            if rank[tlayer] > rank[layer]:
                bad.append('%s:%d: "%s" belongs to %s, a layer above %s' %
                           (path, line, header, tlayer, layer))
            if target != mod:
                graph.setdefault(mod, set()).add(target)
        result(not bad, "%s includes only its own layer and those below" %
               mod, bad)

    seen = {}
    for mod in sorted(mods):
        seen.setdefault(mod.split("/")[1], []).append(mod)
    twice = ["%s: %s" % (b, " ".join(m)) for b, m in sorted(seen.items())
             if len(m) > 1]
    result(not twice, "no two modules share a file name (one archive "
           "holds their objects)", twice)

    long_ = []
    for folder in folders:
        d = os.path.join(src, folder)
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                long_ += too_long(os.path.join(d, name))
    result(not long_, "no file over %d lines, no function over %d" %
           (MAX_LINES, MAX_FUNCTION), long_)

    cycle = find_cycle(graph)
    result(cycle is None, "no include cycle between modules",
           ["cycle: " + " -> ".join(cycle)] if cycle else [])
    print("# %d tests, %d failed" % (count, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
