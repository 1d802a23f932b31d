#!/usr/bin/env python3
"""tests/test-flamegraph.py — tools/bench/flamegraph.py on a hand-written `perf script` excerpt: chains are read root
first, symbol offsets dropped, runs of unnamed frames folded into their library, counts summed; the SVG is
well-formed, its widths follow the counts, and too-small frames are not drawn."""
import importlib.util
import pathlib
import sys
import xml.etree.ElementTree as ET

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[1])
spec = importlib.util.spec_from_file_location("flamegraph", root / "tools" / "bench" / "flamegraph.py")
fg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fg)

SAMPLE = """\
run 1 1.0:    3333333 cpu-clock:ppp:
\t          11dc53 BN_is_odd+0x3 (/usr/lib/x86_64-linux-gnu/libcrypto.so.3)
\t          11a5e3 [unknown] (/usr/lib/x86_64-linux-gnu/libcrypto.so.3)
\t          11a5e9 [unknown] (/usr/lib/x86_64-linux-gnu/libcrypto.so.3)
\t           77de6 tls_drive+0x136 (/work/main/build/hnbsim)
\t          891f4 start_thread+0x304 (/usr/lib/x86_64-linux-gnu/libc.so.6)

run 1 1.1:    3333333 cpu-clock:ppp:
\t          11dc53 BN_is_odd+0x3 (/usr/lib/x86_64-linux-gnu/libcrypto.so.3)
\t          11a5e3 [unknown] (/usr/lib/x86_64-linux-gnu/libcrypto.so.3)
\t           77de6 tls_drive+0x140 (/work/main/build/hnbsim)
\t          891f4 start_thread+0x304 (/usr/lib/x86_64-linux-gnu/libc.so.6)

run 2 1.2:    3333333 cpu-clock:ppp:
\t           55555 hnb_sim_run+0x10 (/work/main/build/hnbsim)
\t          891f4 start_thread+0x304 (/usr/lib/x86_64-linux-gnu/libc.so.6)

"""

stacks = fg.fold(SAMPLE.splitlines(keepends=True))
assert stacks == {
    "start_thread;tls_drive;[libcrypto.so.3];BN_is_odd": 2,
    "start_thread;hnb_sim_run": 1,
}, stacks

tree = fg.build_tree(stacks)
assert tree["n"] == 3 and tree["kids"]["start_thread"]["n"] == 3
assert tree["kids"]["start_thread"]["kids"]["tls_drive"]["n"] == 2

doc = fg.svg(tree, "t <&>", 1000, 0.0)
svg = ET.fromstring(doc)
ns = "{http://www.w3.org/2000/svg}"
widths = {}
for g in svg.iter(ns + "g"):
    name = g.find(ns + "title").text.split(" (")[0]
    widths[name] = float(g.find(ns + "rect").get("width"))
assert abs(widths["all"] - 999.5) < 0.01, widths
assert abs(widths["tls_drive"] - (2 / 3 * 1000 - 0.5)) < 0.06, widths
assert abs(widths["hnb_sim_run"] - (1 / 3 * 1000 - 0.5)) < 0.06, widths
# a frame under --min is not drawn
small = ET.fromstring(fg.svg(tree, "t", 1000, 0.5))
names = [g.find(ns + "title").text.split(" (")[0] for g in small.iter(ns + "g")]
assert "tls_drive" in names and "hnb_sim_run" not in names, names
assert fg.fold(["no stacks here\n"]) == {}
print("ok")
