#!/usr/bin/env bash
# tools/bench/run-kernel-bench.sh — the kernel's event queue against a std::priority_queue baseline, and an M/M/1 model.
#
# Usage: tools/bench/run-kernel-bench.sh [--pq-only] [--runs R] [HNBSIM]
#   HNBSIM     the hnbsim binary (default: build/hnbsim under the source tree); it is not built here.
#   --pq-only  run only the std::priority_queue baseline (no hnbsim needed).
#   --runs R   runs per measurement (default 5); medians are reported.
# Environment: BENCH_BUILD_DIR (where pq_hold is compiled; default build/bench under the source tree),
#              CXX (default g++), EVENTS_1E3 / EVENTS_1E5 / EVENTS_1E6 (timed events per run at each queue size).
#
# For each queue size the programs run alternately, R times each, so a slow spell of the machine hits all alike:
# `hnbsim bench kernel` (the hold on the kernel's queue, as pq_hold holds on its container), `hnbsim bench kernel
# --dispatch` (the same through hnb_sim_run and a handler) and pq_hold.  Ratios are of medians, against pq_hold.
# See tools/bench/README.md for what is measured.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

runs=5
pq_only=0
hnbsim=""
# shared helpers: run, field, median, need_built, parse_bench_args
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_option() {
    case "$1" in
    --pq-only) pq_only=1 ;;
    *) return 1 ;;
    esac
}
parse_bench_args "$@"
case "$runs" in
'' | *[!0-9]* | 0) echo "$0: --runs must be a whole number >= 1, got '$runs'" >&2; exit 2 ;;
esac
hnbsim=${hnbsim:-$root/build/hnbsim}

if [ "$pq_only" = 0 ]; then
    if [ ! -e "$hnbsim" ]; then
        echo "$0: hnbsim binary not found: $hnbsim" >&2
        echo "  build it first (meson setup build && meson compile -C build), pass its path," >&2
        echo "  or run the baseline alone with --pq-only" >&2
        exit 2
    fi
    if [ ! -f "$hnbsim" ] || [ ! -x "$hnbsim" ]; then
        echo "$0: not an executable file: $hnbsim" >&2
        exit 2
    fi
fi

# pq_hold: compiled here if missing or older than its source (nothing else is built by this script).
build=${BENCH_BUILD_DIR:-$root/build/bench}
pq=$build/pq_hold
src=$here/pq_hold.cc
if [ ! -x "$pq" ] || [ "$src" -nt "$pq" ]; then
    mkdir -p "$build"
    echo "compiling $pq" >&2
    "${CXX:-g++}" -O2 -std=c++17 -o "$pq" "$src"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check_pending WANT LINE: the run must report the queue size it was asked for.
check_pending() {
    local got
    got=$(field pending "$2")
    if [ "$got" != "$1" ]; then
        echo "$0: asked for --pending $1 but the run reports pending=$got: '$2'" >&2
        exit 1
    fi
}

echo "# hold model: pop-min + push(now + exp(1 s)); medians of $runs runs, alternating; events/s"
if [ "$pq_only" = 1 ]; then
    printf '%-10s %12s %14s\n' pending events pq_median
else
    printf '%-10s %10s %14s %16s %14s %8s %10s\n' pending events queue_median dispatch_median pq_median ratio \
        ratio_disp
fi
for pending in 1000 100000 1000000; do
    case $pending in
    1000) events=${EVENTS_1E3:-10000000} ;;
    100000) events=${EVENTS_1E5:-5000000} ;;
    1000000) events=${EVENTS_1E6:-1000000} ;;
    esac
    : >"$tmp/kernel"
    : >"$tmp/dispatch"
    : >"$tmp/pq"
    for ((i = 1; i <= runs; i++)); do
        if [ "$pq_only" = 0 ]; then
            line=$(run "hnbsim bench kernel" "$hnbsim" bench kernel --pending "$pending" --events "$events")
            check_pending "$pending" "$line"
            field events_per_s "$line" >>"$tmp/kernel"
            line=$(run "hnbsim bench kernel --dispatch" "$hnbsim" bench kernel --dispatch --pending "$pending" \
                --events "$events")
            check_pending "$pending" "$line"
            field events_per_s "$line" >>"$tmp/dispatch"
        fi
        line=$(run pq_hold "$pq" --pending "$pending" --events "$events")
        check_pending "$pending" "$line"
        field events_per_s "$line" >>"$tmp/pq"
    done
    pq_med=$(median <"$tmp/pq")
    if [ "$pq_only" = 1 ]; then
        printf '%-10s %12s %14.0f\n' "$pending" "$events" "$pq_med"
    else
        k_med=$(median <"$tmp/kernel")
        d_med=$(median <"$tmp/dispatch")
        ratio=$(awk -v k="$k_med" -v p="$pq_med" 'BEGIN { printf "%.2f", k / p }')
        ratio_d=$(awk -v k="$d_med" -v p="$pq_med" 'BEGIN { printf "%.2f", k / p }')
        printf '%-10s %10s %14.0f %16.0f %14.0f %8s %10s\n' "$pending" "$events" "$k_med" "$d_med" "$pq_med" \
            "$ratio" "$ratio_d"
    fi
done

if [ "$pq_only" = 0 ]; then
    : >"$tmp/cps"
    : >"$tmp/wait"
    for ((i = 1; i <= runs; i++)); do
        line=$(run "hnbsim bench mm1" "$hnbsim" bench mm1)
        field customers_per_s "$line" >>"$tmp/cps"
        field mean_wait "$line" >>"$tmp/wait"
    done
    echo
    echo "# M/M/1 on the kernel (lambda 0.9/s, mu 1/s; theory mean_wait 9 s); medians of $runs runs"
    printf '%-18s %12s\n' customers_per_s mean_wait_s
    printf '%-18.0f %12s\n' "$(median <"$tmp/cps")" "$(median <"$tmp/wait")"
fi
