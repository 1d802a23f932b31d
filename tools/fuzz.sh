#!/usr/bin/env bash
# tools/fuzz.sh [SECONDS] — libFuzzer (clang, ASan+UBSan) over the scenario loader and value parsers.  A crashing
# input is copied into tests/fuzz/regressions/, where the fuzz-replay test keeps running it in every build.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
out=build-fuzz
mkdir -p "$out/corpus"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -I . \
  tests/fuzz-scenario.c sim/scenario.c sim/dist.c sim/rng.c sim/units.c sim/time.c sim/error.c \
  $(pkg-config --cflags --libs glib-2.0) -lm -o "$out/fuzz-scenario"
cp -n tests/fuzz/corpus/* "$out/corpus/" 2>/dev/null || true
rc=0
"$out/fuzz-scenario" -max_total_time="$secs" -max_len=4096 -artifact_prefix="$out/" -print_final_stats=1 \
  "$out/corpus" tests/fuzz/corpus 2> "$out/fuzz.log" || rc=$?
grep -E 'stat::number_of_executed_units|Done ' "$out/fuzz.log" >&2 || true
if [ "$rc" -ne 0 ]; then
  tail -40 "$out/fuzz.log" >&2
  for f in "$out"/crash-* "$out"/leak-* "$out"/timeout-*; do
    [ -e "$f" ] && cp "$f" tests/fuzz/regressions/ && echo "fuzz: saved $(basename "$f") to tests/fuzz/regressions/" >&2
  done
  exit 1
fi
