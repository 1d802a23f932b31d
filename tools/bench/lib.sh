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
