#!/usr/bin/env bash
# tools/test-all.sh — from a fresh Debian 12 machine: install, build with warnings as errors, run every test in a
# release build and under ASan+UBSan, fuzz each target (the scenario loader, `hnbsim acs`'s request path) for
# FUZZ_SECONDS (default 30; tools/fuzz.sh runs longer campaigns) and replay the saved corpora; the last line is `tests: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --tests || { echo "tests: 0 passed, 1 failed"; exit 1; }
passed=0 failed=0
failures=$(mktemp /tmp/hnbsim-test-failures.XXXXXX) # printed last, where a CI excerpt of the tail shows it
trap 'rm -f "$failures"' EXIT

count() { # add meson's "Ok:" and "Fail:"-like lines of a testlog to the totals
  local log=$1 ok bad
  ok=$(grep -E '^Ok:' "$log" | awk '{s+=$2} END {print s+0}')
  bad=$(grep -E '^(Fail|Unexpected Pass|Timeout):' "$log" | awk '{s+=$NF} END {print s+0}')
  passed=$((passed + ok)); failed=$((failed + bad))
}

suite() { # name, build dir, timeout multiplier, meson options...
  local name=$1 dir=$2 mult=$3; shift 3
  echo "== $name" >&2
  if ! { [ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null; } || ! ninja -C "$dir" >/dev/null; then
    echo "$name: build failed" >&2; ninja -C "$dir" 2>&1 | tail -30 >&2; failed=$((failed + 1)); return
  fi
  meson test -C "$dir" --num-processes 2 --timeout-multiplier "$mult" --print-errorlogs > "$dir/test-summary.txt" 2>&1
  tail -n 12 "$dir/test-summary.txt" >&2
  local before=$failed
  count "$dir/test-summary.txt"
  # a failure says why where CI shows it: the failing tests' own output (meson --print-errorlogs), not just a count
  if [ "$failed" -gt "$before" ]; then
    { echo "-- $name: the failing tests' output (from $dir/test-summary.txt):"
      grep -v -E '^ *[0-9]+/[0-9]+ .* (OK|SKIP) ' "$dir/test-summary.txt" | tail -n 300; } >>"$failures"
  fi
}

# The sanitizers slow the simulation tests several times (the fleet's ran out of their 300 s under ASan at -O0 on a
# busy 2-core machine) and CI machines are shared: their tests get twice the release timeouts, and an optimised build
# (-O2 keeps every ASan and UBSan check; it only spares the run -O0 code).
suite "release build (-Werror)" build 1 -Dwerror=true
suite "sanitizers (ASan+UBSan)" build-asan 2 -Dwerror=true -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
  -Db_lundef=false

for target in scenario acs; do
  echo "== fuzzing $target for ${FUZZ_SECONDS:-30}s" >&2
  if tools/fuzz.sh "${FUZZ_SECONDS:-30}" "$target"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done

cat "$failures" >&2
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
