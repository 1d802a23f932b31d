# tools/bench/lib.sh — helpers the benchmark scripts share (sourced, not run).  The caller sets $tmp, a scratch
# directory: run() leaves the command's stdout in $tmp/out and its stderr in $tmp/err.

# run NAME CMD...: run CMD, print its last stdout line; on failure, say which command failed and show its output.
run() {
    local name=$1
    shift
    if ! "$@" >"$tmp/out" 2>"$tmp/err"; then
        echo "$0: $name failed: $*" >&2
        sed 's/^/  | /' "$tmp/err" "$tmp/out" >&2
        exit 1
    fi
    tail -n 1 "$tmp/out"
}

# field KEY LINE: the value of KEY=value in LINE; fails loudly if absent or not a number.
field() {
    local v
    v=$(printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p")
    case "$v" in
    '' | *[!0-9.eE+-]*)
        echo "$0: expected '$1=<number>' in output line: '$2'" >&2
        exit 1
        ;;
    esac
    printf '%s\n' "$v"
}

# median of the numbers on stdin
median() {
    sort -g | awk 'BEGIN { OFMT = "%.10g" } { v[NR] = $1 } END { if (NR == 0) exit 1; m = int((NR + 1) / 2);
                   print (NR % 2) ? v[m] : (v[m] + v[m + 1]) / 2 }'
}

# m NAME: the median of the numbers in $tmp/NAME
m() { median <"$tmp/$1"; }
# pratio A B: the median over the rounds of $tmp/A's value / $tmp/B's on the same line (a round's: a slow spell of the
# machine hits both alike), two decimals
pratio() { paste "$tmp/$1" "$tmp/$2" | awk '{ print $1 / $2 }' | median | awk '{ printf "%.2f", $1 }'; }

# need_built HINT FILE...: each FILE must be an executable file (built by meson); else say so, with HINT, and exit 2.
need_built() {
    local hint=$1 b
    shift
    for b in "$@"; do
        if [ ! -f "$b" ] || [ ! -x "$b" ]; then
            echo "$0: not an executable file: $b" >&2
            echo "  build first (meson setup build && meson compile -C build), $hint" >&2
            exit 2
        fi
    done
}

# parse_bench_args ARGS...: the command line the benchmark scripts share, into the caller's variables (set their
# defaults first): --runs R sets runs (not checked here: each script says what it accepts); one positional argument
# sets hnbsim; -h / --help prints the script's usage, its opening comment block, and exits 0.  Any other option goes
# to the script's own bench_option function, if it defines one, which returns 0 if it took the option (a flag: the
# options that need a value are --runs only).  Otherwise, and for a second positional argument or --runs without a
# value, it says what is wrong and exits 2.
parse_bench_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
        --runs)
            [ $# -ge 2 ] || { echo "$0: --runs needs a number" >&2; exit 2; }
            runs=$2
            shift
            ;;
        -h | --help)
            awk 'NR > 1 { if (!/^#/) exit; print }' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*)
            if ! declare -F bench_option >/dev/null || ! bench_option "$1"; then
                echo "$0: unknown option '$1' (try --help)" >&2
                exit 2
            fi
            ;;
        *)
            [ -z "$hnbsim" ] || { echo "$0: one hnbsim path only (got '$hnbsim' and '$1')" >&2; exit 2; }
            hnbsim=$1
            ;;
        esac
        shift
    done
}

# need_two_cores WHAT: taskset and at least two cores (servers on core 0, WHAT on core 1); else say so and exit 2.
need_two_cores() {
    command -v taskset >/dev/null || { echo "$0: taskset is missing (util-linux)" >&2; exit 2; }
    [ "$(nproc)" -ge 2 ] || { echo "$0: needs two cores (servers on core 0, $1 on core 1); nproc says $(nproc)" >&2; exit 2; }
}

# bench_scratch: sets tmp to a new scratch directory; at exit the processes in $acs_pids (start_acs adds its servers)
# are ended, then the caller's bench_stop function runs if it defines one, and the directory goes (KEEP_TMP=1 keeps
# it and says where).
bench_scratch() {
    tmp=$(mktemp -d)
    acs_pids=""
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}
bench_cleanup() {
    local p
    for p in $acs_pids; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    ! declare -F bench_stop >/dev/null || bench_stop
    [ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}

# start_acs NAME CORES BINARY OPTIONS...: `BINARY acs` pinned to CORES (taskset -c) on a loopback port of its choosing,
# with the caller's $pki and session-ID resumption, its stdout in $tmp/NAME.out and its per-connection log in
# $tmp/NAME.log; adds its pid to $acs_pids (ended at exit, bench_scratch) and sets NAME_pid and NAME_port.
start_acs() {
    local name=$1 cores=$2 bin=$3 pid port=""
    shift 3
    taskset -c "$cores" "$bin" acs --listen 127.0.0.1:0 --pki "$pki" --resumption ids "$@" >"$tmp/$name.out" \
        2>"$tmp/$name.log" </dev/null &
    pid=$!
    acs_pids="$acs_pids $pid"
    for _ in $(seq 1 100); do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/$name.out")
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "$0: $name did not start:" >&2; sed 's/^/  | /' "$tmp/$name.log" >&2; exit 1; }
    printf -v "${name}_pid" %s "$pid"
    printf -v "${name}_port" %s "$port"
}

# cpu_ticks PID: its user + system CPU time so far, in clock ticks (/proc/PID/stat fields 14 and 15; the command
# name in field 2 is in parentheses and may hold spaces, so count from the last ')').
cpu_ticks() {
    local s
    s=$(<"/proc/$1/stat")
    s=${s##*) }
    awk '{ print $12 + $13 }' <<<"$s"
}
