#!/usr/bin/env bash
# tools/bench/run-drive-bench.sh — the driver's CPU against the server's (issue 15): `hnbsim drive` playing HNBs that
# inform periodically, as real TLS/CWMP clients, against `hnbsim acs`; CPU per session of each side, full handshakes
# and resumed ones apart, their ratio (the goal: the driver at most 1/3 of the server), and the largest fleet the
# driver sustains.
#
# Usage: tools/bench/run-drive-bench.sh [--quick] [--no-capacity] [--runs R] [HNBSIM]
#   HNBSIM         the hnbsim binary (default: build/hnbsim under the source tree); not built here.  It runs both the
#                  server and the driver.
#   --runs R       alternating rounds of the CPU measurement (default 3); medians are reported.
#   --quick        a smoke run: 1 round, and the capacity search from 1000 HNBs for at most 2 steps.
#   --no-capacity  the CPU rounds only.
# Environment: HNBS (devices of the CPU rounds, default 600), SPEED (their --speed, default 24), HNBSIM_B (a second
#              hnbsim binary, e.g. a build with a change to try: each round also runs its drives, right after
#              HNBSIM's, against the same servers; reported with its own driver/server ratio and the driver's B/A,
#              medians of the rounds' ratios), CAP_START (the
#              capacity search's first fleet, default 1000), CAP_MAX (its largest, default 4000: the PKI is exported
#              for it, ~2.7 ms a device, and RLIMIT_NOFILE's hard limit must reach 2·CAP_MAX + 64),
#              CAP_SECONDS (real seconds of each capacity run, default 20).
#
# The server, `hnbsim acs --workers 2 --resumption ids` (and the full drive's, --resumption none), runs pinned to
# core 0 (taskset -c 0), every drive on core 1.
# The HNBs inform every minute of scenario time (`[cwmp] periodic_interval = 1m`, no attack, one seed, so every run
# of a scenario opens the same sessions at the same times).  Each round runs three drives of HNBS devices at SPEED:
#   first    60 s of scenario: each device's first session (a full handshake, its credential read);
#   full     180 s against a second server, `--resumption none`: each device thrice, every handshake full;
#   resumed  180 s, resumption on: each device's first session full, its next two offering the kept session.
# full - first and resumed - first are each device's second and third sessions alone (the same schedule): the CPU per
# session of those differences is the steady state, full or resumed (a device's later sessions, its credential
# already read once).  In the resumed drive, a session the server does not resume (a late one, say) is costed as a
# later full one, from the full drive, and the rest of the difference divided among the resumed handshakes.  The
# driver's CPU is manifest.json's driver_cpu_s (the paced run and its grace, getrusage), the server's its utime +
# stime from /proc/PID/stat across the drive (all its threads).
# Capacity: HNBs informing every 10 real seconds (a minute of scenario at --speed 6, resumption on) for CAP_SECONDS,
# from CAP_START doubling while the run is sustained — pace lag p99 <= 10 ms (manifest.json's "paced"), no session
# ended `error` (EMFILE and other local failures) or `timeout`, and the driver's CPU <= 90% of the run's real time —
# then one step halfway back between the last sustained fleet and the first one not (or, when CAP_START itself is not
# sustained, halving it until a fleet is).  The server shares nothing with
# the driver but the machine: the report gives its CPU share too, so a limit of the server is not read as the driver's.
# See tools/bench/README.md, "hnbsim drive against hnbsim acs: the driver's CPU".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

runs=3
quick=""
capacity=1
hnbsim=""
# shared helpers: run, field, median, need_built, parse_bench_args, need_two_cores, bench_scratch, start_acs,
# cpu_ticks, m, pratio
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_option() {
    case "$1" in
    --quick) quick=1 ;;
    --no-capacity) capacity="" ;;
    *) return 1 ;;
    esac
}
parse_bench_args "$@"
hnbs=${HNBS:-600}
speed=${SPEED:-24}
cap_start=${CAP_START:-1000}
cap_max=${CAP_MAX:-4000}
cap_seconds=${CAP_SECONDS:-20}
cap_steps=99
if [ -n "$quick" ]; then
    runs=1
    cap_steps=2
fi
for v in runs hnbs speed cap_start cap_max cap_seconds; do
    case "${!v}" in
    '' | *[!0-9]* | 0) echo "$0: $v must be a whole number >= 1, got '${!v}'" >&2; exit 2 ;;
    esac
done
hnbsim=${hnbsim:-$root/build/hnbsim}
need_built "or pass the hnbsim path" "$hnbsim" ${HNBSIM_B:+"$HNBSIM_B"}
need_two_cores "the driver"
devices=$hnbs
[ -z "$capacity" ] || [ "$cap_max" -le "$devices" ] || devices=$cap_max
nofile=$(ulimit -Hn)
if [ "$nofile" != unlimited ] && [ "$nofile" -lt $((2 * devices + 64)) ]; then
    echo "$0: $devices HNBs need $((2 * devices + 64)) file descriptors; the hard limit is $nofile (lower CAP_MAX/HNBS)" >&2
    exit 2
fi

bench_scratch

pki=$tmp/pki
echo "exporting the PKI ($devices devices) ..." >&2
run "hnbsim pki" "$hnbsim" pki --out "$pki" --hnb "$devices" >/dev/null
start_acs acs 0 "$hnbsim" --workers 2
# the full drive's server: the drive's HNBs keep and offer their sessions whatever the scenario's [tls] resumption
# says, so only a server that resumes none gives full handshakes throughout (the later --resumption wins)
start_acs acsfull 0 "$hnbsim" --workers 2 --resumption none
hz=$(getconf CLK_TCK)

cat >"$tmp/periodic.ini" <<EOF
# written by tools/bench/run-drive-bench.sh: HNBs informing every minute, nothing else
[scenario]
name = drive-bench
duration = 180s
seed = 1
[fleet]
size = $hnbs
[cwmp]
periodic_interval = 1m
[attack]
mode = none
EOF

# manifest KEY DIR: a number of DIR/manifest.json ("KEY": N)
manifest() {
    local v
    v=$(grep -o "\"$1\": [0-9.eE+-]*" "$2/manifest.json" | head -n 1 | sed 's/.*: //')
    [ -n "$v" ] || { echo "$0: no \"$1\" in $2/manifest.json" >&2; exit 1; }
    printf '%s\n' "$v"
}
# summary METRIC DIR: the mean of METRIC in DIR/summary.csv (one replication: its value)
summary() {
    awk -F, -v m="$1" '$1 == m { print $3; found = 1 } END { if (!found) exit 1 }' "$2/summary.csv" ||
        { echo "$0: no $1 in $2/summary.csv" >&2; exit 1; }
}

# drive NAME SERVER BINARY OUTDIR ARGS...: one drive on core 1 against SERVER (acs, acsfull); leaves NAME's driver CPU s, server CPU s,
# sessions, resumed handshakes and pace lag p99 (ms) in $tmp/NAME.{dcpu,scpu,n,res,lag} (one line a call, appended).
drive() {
    local name=$1 pid_var=${2}_pid port_var=${2}_port bin=$3 out=$4 c0 c1
    shift 4
    rm -rf "$out"
    c0=$(cpu_ticks "${!pid_var}")
    run "drive $name" taskset -c 1 "$bin" drive "$tmp/periodic.ini" --target "https://127.0.0.1:${!port_var}" \
        --pki "$pki" -o "$out" --quiet "$@" >/dev/null
    c1=$(cpu_ticks "${!pid_var}")
    manifest driver_cpu_s "$out" >>"$tmp/$name.dcpu"
    awk -v d="$((c1 - c0))" -v hz="$hz" 'BEGIN { printf "%.3f\n", d / hz }' >>"$tmp/$name.scpu"
    summary sessions "$out" >>"$tmp/$name.n"
    summary handshakes_resumed "$out" >>"$tmp/$name.res"
    manifest pace_lag_p99_ms "$out" >>"$tmp/$name.lag"
    local bad
    bad=$(grep -o '"outcomes": {[^}]*}' "$out/manifest.json" | tr -d '{}"' | tr ',' '\n' | sed 's/^ *//' |
        grep -v '^outcomes: ok: \|^ok: \|: 0$' || true)
    [ -z "$bad" ] || echo "  $name: not ok: $bad" >&2
}

# one_round TAG BINARY: the three drives of a round with BINARY; per-session µs of TAG's round appended to
# $tmp/TAG-{first,full,resumed}.{d,s} (driver, server)
one_round() {
    local tag=$1 bin=$2 k
    drive "$tag-first" acs "$bin" "$tmp/d-first" --hnbs "$hnbs" --speed "$speed" --set scenario.duration=60s
    drive "$tag-full" acsfull "$bin" "$tmp/d-full" --hnbs "$hnbs" --speed "$speed" --set tls.resumption=none
    drive "$tag-resumed" acs "$bin" "$tmp/d-res" --hnbs "$hnbs" --speed "$speed"
    for k in d s; do
        local col=dcpu
        [ $k = s ] && col=scpu
        # the values of this round: CPU s and sessions of first (c1 n1), full (cf nf), resumed (cr nr, rr resumed)
        paste <(tail -n 1 "$tmp/$tag-first.$col") <(tail -n 1 "$tmp/$tag-first.n") \
            <(tail -n 1 "$tmp/$tag-full.$col") <(tail -n 1 "$tmp/$tag-full.n") \
            <(tail -n 1 "$tmp/$tag-resumed.$col") <(tail -n 1 "$tmp/$tag-resumed.n") \
            <(tail -n 1 "$tmp/$tag-resumed.res") |
            awk -v f="$tmp/$tag-first.$k" -v u="$tmp/$tag-full.$k" -v r="$tmp/$tag-resumed.$k" '{
                c1 = $1; n1 = $2; cf = $3; nf = $4; cr = $5; nr = $6; rr = $7
                full = (cf - c1) / (nf - n1)
                # full handshakes of the resumed drive beyond its devices first ones (sessions the server did not
                # resume) are costed as later full ones
                printf "%.1f\n", 1e6 * c1 / n1 >>f
                printf "%.1f\n", 1e6 * full >>u
                printf "%.1f\n", 1e6 * (cr - c1 - full * (nr - rr - n1)) / rr >>r
            }'
    done
    echo "  $tag: driver us/session first $(tail -n 1 "$tmp/$tag-first.d"), full $(tail -n 1 "$tmp/$tag-full.d")," \
        "resumed $(tail -n 1 "$tmp/$tag-resumed.d"); server $(tail -n 1 "$tmp/$tag-first.s")," \
        "$(tail -n 1 "$tmp/$tag-full.s"), $(tail -n 1 "$tmp/$tag-resumed.s");" \
        "resumed handshakes $(tail -n 1 "$tmp/$tag-resumed.res") of $(tail -n 1 "$tmp/$tag-resumed.n")" \
        "(full drive: $(tail -n 1 "$tmp/$tag-full.res")); pace lag p99 $(tail -n 1 "$tmp/$tag-first.lag")," \
        "$(tail -n 1 "$tmp/$tag-full.lag"), $(tail -n 1 "$tmp/$tag-resumed.lag") ms" >&2
}

for ((i = 1; i <= runs; i++)); do
    echo "round $i/$runs ..." >&2
    one_round A "$hnbsim"
    [ -z "${HNBSIM_B:-}" ] || one_round B "$HNBSIM_B"
done


echo
echo "# hnbsim drive (core 1) against hnbsim acs --workers 2 (core 0): $hnbs HNBs informing every scenario minute at"
echo "# speed $speed, TLS 1.2 mutual auth; CPU per session, medians of $runs rounds (driver/server: of the rounds' ratios)"
printf '%-44s %12s %12s %14s\n' what "driver us" "server us" "driver/server"
for mode in first full resumed; do
    case $mode in
    first) label="a device's first session (full, cred read)" ;;
    full) label="later session, full handshake" ;;
    resumed) label="later session, resumed handshake" ;;
    esac
    printf '%-44s %12.0f %12.0f %14s\n' "$label" "$(m "A-$mode.d")" "$(m "A-$mode.s")" "$(pratio "A-$mode.d" "A-$mode.s")"
done
printf '%-44s %12s\n' "resumed share of the resumed drive" \
    "$(paste "$tmp/A-resumed.res" "$tmp/A-resumed.n" | awk '{ print 100 * $1 / $2 }' | median | awk '{ printf "%.0f%%", $1 }')"
if [ -n "${HNBSIM_B:-}" ]; then
    for mode in first full resumed; do
        printf '%-44s %12.0f %12.0f %14s  driver B/A %s\n' "HNBSIM_B $mode" "$(m "B-$mode.d")" "$(m "B-$mode.s")" \
            "$(pratio "B-$mode.d" "B-$mode.s")" "$(pratio "B-$mode.d" "A-$mode.d")"
    done
fi

# ---- capacity: the largest fleet informing every 10 real seconds that the driver sustains ----
# cap_run N: 0 if sustained; prints its line
cap_run() {
    local n=$1 out=$tmp/d-cap c0 c1 cpu scpu lag paced err tmo ok verdict=sustained
    rm -rf "$out"
    c0=$(cpu_ticks "$acs_pid")
    if ! taskset -c 1 "$hnbsim" drive "$tmp/periodic.ini" --target "https://127.0.0.1:$acs_port" --pki "$pki" \
        -o "$out" --quiet --hnbs "$n" --speed 6 --set "scenario.duration=$((cap_seconds * 6))s" \
        >"$tmp/out" 2>"$tmp/err"; then
        echo "  $n HNBs: the drive failed: $(tail -n 2 "$tmp/err" | tr '\n' ' ')" >&2
        return 1
    fi
    c1=$(cpu_ticks "$acs_pid")
    cpu=$(manifest driver_cpu_s "$out")
    scpu=$(awk -v d="$((c1 - c0))" -v hz="$hz" -v s="$cap_seconds" 'BEGIN { printf "%.0f", 100 * d / hz / s }')
    lag=$(manifest pace_lag_p99_ms "$out")
    paced=$(grep -o '"paced": [a-z]*' "$out/manifest.json" | sed 's/.*: //')
    err=$(grep -o '"error": [0-9]*' "$out/manifest.json" | head -n 1 | sed 's/.*: //')
    tmo=$(grep -o '"timeout": [0-9]*' "$out/manifest.json" | head -n 1 | sed 's/.*: //')
    ok=$(grep -o '"ok": [0-9]*' "$out/manifest.json" | head -n 1 | sed 's/.*: //')
    local pct
    pct=$(awk -v c="$cpu" -v s="$cap_seconds" 'BEGIN { printf "%.0f", 100 * c / s }')
    if [ "$paced" != true ] || [ "$err" != 0 ] || [ "$tmo" != 0 ] || [ "$pct" -gt 90 ]; then
        verdict="not sustained"
    fi
    printf '%-10s %8s %10s %12s %10s %10s %8s  %s\n' "$n" "$ok" "$pct%" "$scpu%" "$lag" "$err" "$tmo" "$verdict"
    [ "$verdict" = sustained ]
}
if [ -n "$capacity" ]; then
    echo
    echo "# capacity: HNBs informing every 10 real seconds (1 min at speed 6, resumption on), ${cap_seconds} s a run"
    printf '%-10s %8s %10s %12s %10s %10s %8s  %s\n' HNBs "ok" "driver CPU" "server CPU" "lag p99 ms" error timeout verdict
    best=0
    failed=0
    n=$cap_start
    steps=0
    while [ "$n" -le "$cap_max" ] && [ "$steps" -lt "$cap_steps" ]; do
        steps=$((steps + 1))
        if cap_run "$n"; then
            best=$n
            [ "$n" -lt "$cap_max" ] || break
            n=$((2 * n > cap_max ? cap_max : 2 * n))
        else
            failed=$n
            break
        fi
    done
    if [ "$failed" -gt 0 ] && [ "$best" -gt 0 ] && [ "$steps" -lt "$cap_steps" ]; then
        n=$(((best + failed) / 2))
        ! cap_run "$n" || best=$n
    fi
    # the first fleet was too much: halve it until one is sustained (down to 100 HNBs)
    n=$((failed / 2))
    while [ "$best" -eq 0 ] && [ "$n" -ge 100 ] && [ "$steps" -lt "$cap_steps" ]; do
        steps=$((steps + 1))
        if cap_run "$n"; then
            best=$n
        else
            failed=$n
            n=$((n / 2))
        fi
    done
    if [ "$failed" -eq 0 ]; then
        echo "largest fleet sustained: $best HNBs or more (CAP_MAX $cap_max: raise it to look further)"
    else
        echo "largest fleet sustained: $best HNBs (not: $failed)"
    fi
fi
echo "(driver CPU: manifest.json's driver_cpu_s; server CPU: /proc/PID/stat, its share of one core."
echo " Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg).)"
