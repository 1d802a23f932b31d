#!/usr/bin/env python3
"""tools/bench/flamegraph.py — a flame graph (SVG) from `perf script` output, for tools/bench/README.md.

Usage:
  perf record -F 300 --call-graph dwarf,16384 -o perf.data -- build/hnbsim run ...
  perf script -i perf.data | tools/bench/flamegraph.py --title "100k fleet" > flame.svg
  tools/bench/flamegraph.py --folded < script.txt      # the folded stacks ("a;b;c count"), most samples first

Each sample's call chain is read root first; frames without a symbol ("[unknown]", bare addresses) are shown by
their library (libcrypto.so.3 has no symbols on Debian) and a run of them collapses into one, so the shares of
OpenSSL's internals still add up under the named function that called them.  A box's width is its share of all
samples (of both threads: a flame graph of CPU, not of wall time); its tooltip gives the count and the share.
Frames under --min (default 0.1%) are not drawn.
"""
import argparse
import html
import re
import sys
from collections import defaultdict

FRAME = re.compile(r"^\s*[0-9a-f]+\s+(.*?)\s+\(([^)]*)\)\s*$")


def frame_name(sym, dso):
    lib = dso.rsplit("/", 1)[-1]
    if sym.startswith("[unknown]") or re.fullmatch(r"0x[0-9a-f]+", sym) or not sym:
        return "[" + lib + "]"
    sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
    return sym


def fold(lines):
    stacks = defaultdict(int)
    chain = []
    for line in list(lines) + [""]:
        if not line.strip():
            if chain:
                names = []
                for f in reversed(chain):  # perf prints the leaf first
                    if not names or not (f.startswith("[") and names[-1] == f):
                        names.append(f)
                stacks[";".join(names)] += 1
            chain = []
            continue
        m = FRAME.match(line)
        if m:
            chain.append(frame_name(m.group(1), m.group(2)))
    return stacks


def build_tree(stacks):
    root = {"n": 0, "kids": {}}
    for stack, count in stacks.items():
        root["n"] += count
        node = root
        for name in stack.split(";"):
            node = node["kids"].setdefault(name, {"n": 0, "kids": {}})
            node["n"] += count
    return root


def colour(name):
    h = sum(ord(c) for c in name)
    if name.startswith("[") or "ssl" in name.lower() or name.startswith(("EVP_", "OSSL_", "X509", "ASN1", "BN_", "EC")):
        return "rgb(%d,%d,%d)" % (220, 120 + h % 60, 50 + h % 40)   # OpenSSL: orange
    if name.startswith(("hnb_", "tls_", "pki_", "on_", "run", "step", "finish", "worker", "device", "obtain")):
        return "rgb(%d,%d,%d)" % (80 + h % 40, 150 + h % 50, 220)    # hnbsim: blue
    return "rgb(%d,%d,%d)" % (200 + h % 40, 80 + h % 50, 70)         # libc, kernel, allocator: red


def svg(root, title, width, min_share):
    row, pad_top = 16, 40
    boxes = []
    depth_max = [0]

    def walk(node, name, x, depth):
        share = node["n"] / root["n"]
        if share < min_share:
            return
        w = share * width
        depth_max[0] = max(depth_max[0], depth)
        boxes.append((x, depth, w, name, node["n"], share))
        cx = x
        for kid_name, kid in sorted(node["kids"].items(), key=lambda kv: -kv[1]["n"]):
            walk(kid, kid_name, cx, depth + 1)
            cx += kid["n"] / root["n"] * width

    walk(root, "all", 0.0, 0)
    height = pad_top + (depth_max[0] + 1) * row + 10
    out = ['<?xml version="1.0" standalone="no"?>',
           '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="monospace" font-size="11">'
           % (width, height),
           '<rect width="100%%" height="100%%" fill="#fafafa"/>',
           '<text x="%d" y="20" text-anchor="middle" font-size="15">%s</text>' % (width // 2, html.escape(title)),
           '<text x="%d" y="34" text-anchor="middle" fill="#555">%d samples; width = share of CPU samples, '
           'root at the bottom; hover for counts</text>' % (width // 2, root["n"])]
    for x, depth, w, name, n, share in boxes:
        y = height - 10 - (depth + 1) * row
        label = name if len(name) * 6.5 < w - 4 else (name[: int((w - 4) / 6.5) - 2] + ".." if w > 30 else "")
        out.append('<g><title>%s (%d samples, %.2f%%)</title><rect x="%.1f" y="%d" width="%.1f" height="%d" '
                   'fill="%s" rx="2"/><text x="%.1f" y="%d">%s</text></g>'
                   % (html.escape(name), n, share * 100, x, y, max(w - 0.5, 0.1), row - 1, colour(name), x + 3,
                      y + row - 4, html.escape(label)))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description="flame graph SVG from `perf script` output on stdin")
    ap.add_argument("--title", default="CPU flame graph")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--min", type=float, default=0.1, help="smallest share drawn, percent (default 0.1)")
    ap.add_argument("--folded", action="store_true", help="print the folded stacks instead of an SVG")
    a = ap.parse_args()
    if a.width < 200 or not 0 <= a.min < 100:
        ap.error("--width must be >= 200 and --min in [0, 100)")
    stacks = fold(sys.stdin)
    if not stacks:
        sys.exit("flamegraph.py: no call chains on stdin (perf record needs --call-graph)")
    if a.folded:
        for s, n in sorted(stacks.items(), key=lambda kv: -kv[1]):
            print(s, n)
        return
    sys.stdout.write(svg(build_tree(stacks), a.title, a.width, a.min / 100))


if __name__ == "__main__":
    main()
