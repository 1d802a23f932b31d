#!/usr/bin/env bash
# tools/fuzz.sh [SECONDS] [TARGET...] — libFuzzer (clang, ASan+UBSan) for SECONDS (default 60) on each target:
#   scenario  the scenario loader and value parsers (tests/fuzz-scenario.c; corpus tests/fuzz/corpus)
#   acs       `hnbsim acs`'s request path: HTTP, SOAP, CWMP (tests/fuzz-acs.c; corpus tests/fuzz/acs-corpus)
# (default: both).  A crashing input is copied into the target's regressions folder (tests/fuzz/regressions,
# tests/fuzz/acs-regressions), where the fuzz-replay tests keep running it in every build.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(scenario acs)
out=build-fuzz
mkdir -p "$out"
cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -I .)
rc=0
for t in "${targets[@]}"; do
  case $t in
    scenario)
      src=(tests/fuzz-scenario.c sim/scenario.c sim/dist.c sim/rng.c sim/units.c sim/time.c sim/error.c)
      libs=$(pkg-config --cflags --libs glib-2.0); corpus=tests/fuzz/corpus; saved=tests/fuzz/regressions; max=4096 ;;
    acs)
      src=(tests/fuzz-acs.c tools/acs/acs_http.c tools/acs/acs_soap.c tools/acs/acs_cwmp.c tools/acs/acs_image.c
           tools/acs/acs_metrics.c tools/acs/acs_campaign.c)
      libs="$(pkg-config --cflags --libs glib-2.0 libxml-2.0) -lhttp_parser"; corpus=tests/fuzz/acs-corpus
      saved=tests/fuzz/acs-regressions; max=16384 ;;
    *) echo "fuzz: unknown target $t (scenario, acs)" >&2; exit 2 ;;
  esac
  # shellcheck disable=SC2086 # $libs is a list of flags
  clang "${cflags[@]}" -DHNB_VERSION='"fuzz"' "${src[@]}" $libs -lm -o "$out/fuzz-$t"
  mkdir -p "$out/corpus-$t"
  cp -n "$corpus"/* "$out/corpus-$t/" 2>/dev/null || true
  trc=0
  "$out/fuzz-$t" -max_total_time="$secs" -max_len="$max" -artifact_prefix="$out/$t-" -print_final_stats=1 \
    "$out/corpus-$t" "$corpus" 2> "$out/fuzz-$t.log" || trc=$?
  echo "fuzz-$t:" >&2
  grep -E 'stat::number_of_executed_units|Done ' "$out/fuzz-$t.log" >&2 || true
  if [ "$trc" -ne 0 ]; then
    rc=1
    tail -40 "$out/fuzz-$t.log" >&2
    for f in "$out/$t"-crash-* "$out/$t"-leak-* "$out/$t"-timeout-*; do
      [ -e "$f" ] && mv "$f" "$saved/" && echo "fuzz: saved $(basename "$f") to $saved/" >&2
    done
  fi
done
exit $rc
