#!/usr/bin/env bash
# tools/bench/run-handshake-bench.sh — TLS handshakes: hnbsim's engine against a plain OpenSSL loop, openssl s_time
# against openssl s_server on loopback, and the crypto ceiling (openssl speed).
#
# Usage: tools/bench/run-handshake-bench.sh [--runs R] [HNBSIM]
#   HNBSIM     the hnbsim binary (default: build/hnbsim under the source tree); it is not built here.  The plain
#              reference is the plain-handshake program meson builds beside it (HNBSIM's dir/tools/plain-handshake).
#   --runs R   runs per measurement (default 5); medians are reported.
# Environment: PLAIN (the plain-handshake binary), OPENSSL (default openssl), COUNT_FULL (full handshakes per run,
#              default 2000), COUNT_RESUMED (default 10000), STIME_SECONDS (s_time's -time, default 3).
#
# Each run does all five measurements in turn (plain, engine at 1 and 2 threads, resumed, s_time), so a slow spell of
# the machine falls on all of them.  See tools/bench/README.md for what is measured and how to read it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

runs=5
hnbsim=""
# shared helpers: run, field, median, need_built, parse_bench_args
# shellcheck source=lib.sh
. "$here/lib.sh"
parse_bench_args "$@"
case "$runs" in
'' | *[!0-9]* | 0) echo "$0: --runs must be a whole number >= 1, got '$runs'" >&2; exit 2 ;;
esac
hnbsim=${hnbsim:-$root/build/hnbsim}
plain=${PLAIN:-$(dirname "$hnbsim")/tools/plain-handshake}
openssl=${OPENSSL:-openssl}
count_full=${COUNT_FULL:-2000}
count_resumed=${COUNT_RESUMED:-10000}
stime_seconds=${STIME_SECONDS:-3}
for v in count_full count_resumed stime_seconds; do
    case "${!v}" in
    '' | *[!0-9]* | 0) echo "$0: ${v^^} must be a whole number >= 1, got '${!v}'" >&2; exit 2 ;;
    esac
done
need_built "or pass the hnbsim path / set PLAIN" "$hnbsim" "$plain"
command -v "$openssl" >/dev/null || { echo "$0: the openssl command line tool is missing: $openssl" >&2; exit 2; }

tmp=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    [ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shared helpers (sourced above): run, field, median

# check_threads WANT LINE: the engine must report the thread count it was asked for.
check_threads() {
    local got
    got=$(field threads "$2")
    [ "$got" = "$1" ] || { echo "$0: asked for --threads $1 but the run reports threads=$got: '$2'" >&2; exit 1; }
}

# ---- the PKI as PEM files (the default profile: RSA-2048 H(e)MS, EC P-256 device 0) ----
pki=$tmp/pki
run "hnbsim pki" "$hnbsim" pki --out "$pki" --hnb 1 >/dev/null
host=$(sed -n 's/^hems_fqdn = //p' "$pki/pki.ini")
[ -n "$host" ] || { echo "$0: no hems_fqdn in $pki/pki.ini" >&2; exit 1; }

# ---- openssl s_server on a free loopback port (sets port and server_pid; the EXIT trap stops it by its PID) ----
port=""
start_server() {
    local try
    for try in $(seq 1 20); do
        port=$((20000 + RANDOM % 40000))
        "$openssl" s_server -accept "127.0.0.1:$port" -cert "$pki/hems.pem" -key "$pki/hems.key" \
            -CAfile "$pki/mfr.pem" -Verify 1 -CRL "$pki/crl.pem" -crl_check -tls1_2 -cipher AES128-SHA -quiet \
            >"$tmp/server.out" 2>"$tmp/server.err" </dev/null &
        server_pid=$!
        # ready when the port takes a connection while our server still runs (a taken port makes it exit)
        for _ in $(seq 1 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                sleep 0.2
                kill -0 "$server_pid" 2>/dev/null && return 0
                break
            fi
            sleep 0.1
        done
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    done
    echo "$0: openssl s_server did not start on a free port (20 tries); its last words:" >&2
    sed 's/^/  | /' "$tmp/server.err" >&2
    exit 1
}
start_server

# s_time: new connections per WALL second (s_time itself divides by its own CPU time only).
stime() {
    local t0 t1 n
    t0=$(date +%s.%N)
    if ! "$openssl" s_time -connect "127.0.0.1:$port" -new -time "$stime_seconds" -tls1_2 -cipher AES128-SHA \
        -cert "$pki/dev0.pem" -key "$pki/dev0.key" -CAfile "$pki/root.pem" -verify 2 >"$tmp/stime.out" 2>&1; then
        echo "$0: openssl s_time failed:" >&2
        sed 's/^/  | /' "$tmp/stime.out" >&2
        exit 1
    fi
    t1=$(date +%s.%N)
    n=$(sed -n 's/^\([0-9][0-9]*\) connections in [0-9.]*s;.*/\1/p' "$tmp/stime.out" | head -n 1)
    if [ -z "$n" ] || [ "$n" = 0 ]; then
        echo "$0: openssl s_time made no connection:" >&2
        sed 's/^/  | /' "$tmp/stime.out" "$tmp/server.err" >&2
        exit 1
    fi
    awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", n / (b - a) }'
}

# ---- the runs ----
for f in plain e1 e2 res stime cpu_plain cpu_e1 cpu_e2; do : >"$tmp/$f"; done
for ((i = 1; i <= runs; i++)); do
    echo "run $i/$runs ..." >&2
    line=$(run plain-handshake "$plain" --pki "$pki" --count "$count_full" --host "$host")
    field plain_full_hs_per_s "$line" >>"$tmp/plain"
    sed -n 's/.*cpu_per_handshake_us=\([0-9.]*\).*/\1/p' "$tmp/out" >>"$tmp/cpu_plain"
    line=$(run "hnbsim bench handshake" "$hnbsim" bench handshake --threads 1 --count "$count_full")
    check_threads 1 "$line"
    field full_hs_per_s "$line" >>"$tmp/e1"
    sed -n 's/.*cpu_per_handshake_us=\([0-9.]*\).*/\1/p' "$tmp/out" >>"$tmp/cpu_e1"
    line=$(run "hnbsim bench handshake --threads 2" "$hnbsim" bench handshake --threads 2 --count "$((2 * count_full))")
    check_threads 2 "$line"
    field full_hs_per_s "$line" >>"$tmp/e2"
    sed -n 's/.*cpu_per_handshake_us=\([0-9.]*\).*/\1/p' "$tmp/out" >>"$tmp/cpu_e2"
    line=$(run "hnbsim bench handshake --resume" "$hnbsim" bench handshake --threads 1 --resume --count "$count_resumed")
    check_threads 1 "$line"
    field resumed_hs_per_s "$line" >>"$tmp/res"
    stime >>"$tmp/stime"
done
plain_m=$(median <"$tmp/plain")
e1_m=$(median <"$tmp/e1")
e2_m=$(median <"$tmp/e2")
res_m=$(median <"$tmp/res")
stime_m=$(median <"$tmp/stime")
cpu_plain_m=$(median <"$tmp/cpu_plain")
cpu_e1_m=$(median <"$tmp/cpu_e1")
cpu_e2_m=$(median <"$tmp/cpu_e2")

# ---- the crypto ceiling: the public-key operations of one full handshake, timed by openssl speed ----
# key_kind CERT: rsa2048 or ecdsap256 (the only key types the PKI makes), from the certificate's public key.
key_kind() {
    local text
    text=$("$openssl" x509 -in "$1" -noout -text)
    if grep -q 'Public Key Algorithm: rsaEncryption' <<<"$text" && grep -q 'Public-Key: (2048 bit)' <<<"$text"; then
        echo rsa2048
    elif grep -q 'Public Key Algorithm: id-ecPublicKey' <<<"$text" && grep -q 'prime256v1' <<<"$text"; then
        echo ecdsap256
    else
        echo "$0: $1: a key type this script does not know (expected RSA-2048 or EC P-256)" >&2
        exit 1
    fi
}
root_k=$(key_kind "$pki/root.pem")
mfr_k=$(key_kind "$pki/mfr.pem")
hems_k=$(key_kind "$pki/hems.pem")
dev_k=$(key_kind "$pki/dev0.pem")
[ "$hems_k" = rsa2048 ] || { echo "$0: AES128-SHA needs an RSA H(e)MS key, hems.pem has $hems_k" >&2; exit 1; }
echo "openssl speed ..." >&2
"$openssl" speed -seconds 1 -mr rsa2048 ecdsap256 >"$tmp/speed" 2>/dev/null ||
    { echo "$0: openssl speed failed" >&2; exit 1; }
# -mr lines: +F2:<k>:2048:<sign/s>:<verify/s> (RSA), +F4:<k>:256:<sign/s>:<verify/s> (ECDSA)
rate() { # rate KIND sign|verify
    local tag=F2 col=4
    [ "$1" = ecdsap256 ] && tag=F4
    [ "$2" = verify ] && col=5
    awk -F: -v t="+$tag" -v c="$col" '$1 == t { print $c; exit }' "$tmp/speed"
}
for k in rsa2048 ecdsap256; do
    for op in sign verify; do
        r=$(rate "$k" "$op")
        case "$r" in '' | *[!0-9.]*) echo "$0: no $k $op rate in openssl speed -mr output" >&2; exit 1 ;; esac
    done
done
# One full TLS 1.2 AES128-SHA mutual-auth handshake (RSA key exchange, no ephemeral keys):
#   server: RSA private decryption of the premaster secret (priced as an RSA sign, the same private operation)
#   client: RSA public encryption of it (priced as an RSA verify), verification of the H(e)MS certificate (root key)
#   client: CertificateVerify signature (device key); server: its verification
#   server: verification of the device certificate and of the CRL (manufacturer key)
# Trust anchors are not verified (OpenSSL does not check self-signed anchors' signatures).
ops="rsa2048:sign rsa2048:verify $root_k:verify $dev_k:sign $dev_k:verify $mfr_k:verify $mfr_k:verify"
ceiling_us=0
for o in $ops; do
    ceiling_us=$(awk -v c="$ceiling_us" -v r="$(rate "${o%%:*}" "${o##*:}")" 'BEGIN { printf "%.3f", c + 1e6 / r }')
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
share() { awk -v c="$ceiling_us" -v r="$1" 'BEGIN { printf "%.0f%%", 100 * c / (1e6 / r) }'; }
met() { awk -v a="$1" -v g="$2" 'BEGIN { print (a >= g) ? "yes" : "NO" }'; }

echo
echo "# TLS 1.2 AES128-SHA mutual-auth full handshakes, RSA-2048 H(e)MS (root $root_k), device $dev_k (manufacturer"
echo "# CA $mfr_k, CRL checked); medians of $runs alternating runs; handshakes per wall second (both ends counted once)"
printf '%-44s %10s %14s\n' what per_s cpu_us_per_hs
printf '%-44s %10.0f %14s\n' "plain OpenSSL loop, 1 thread" "$plain_m" "$cpu_plain_m"
printf '%-44s %10.0f %14s\n' "hnbsim engine, 1 thread" "$e1_m" "$cpu_e1_m"
printf '%-44s %10.0f %14s\n' "hnbsim engine, 2 threads" "$e2_m" "$cpu_e2_m"
printf '%-44s %10.0f %14s\n' "hnbsim engine, resumed (session ID), 1 thread" "$res_m" "-"
printf '%-44s %10.0f %14s\n' "openssl s_time -new vs s_server (loopback)" "$stime_m" "-"
echo
echo "# crypto ceiling: $ops (openssl speed -seconds 1)"
printf 'public-key time per full handshake: %.1f us; share of a handshake: plain %s, engine 1 thread %s\n' \
    "$ceiling_us" "$(share "$plain_m")" "$(share "$e1_m")"
echo
printf '%-40s %8s %6s %5s\n' goal ratio target met
r=$(ratio "$e1_m" "$plain_m")
printf '%-40s %8s %6s %5s\n' "engine 1 thread / plain loop" "$r" 1.2 "$(met "$r" 1.2)"
r=$(ratio "$e2_m" "$e1_m")
printf '%-40s %8s %6s %5s\n' "engine 2 threads / engine 1 thread" "$r" 1.9 "$(met "$r" 1.9)"
r=$(ratio "$e2_m" "$stime_m")
printf '%-40s %8s %6s %5s\n' "engine 2 threads / s_time" "$r" 3.0 "$(met "$r" 3.0)"
printf '%-40s %8s %6s %5s\n' "same by CPU time: plain / engine 1 thread" "$(ratio "$cpu_plain_m" "$cpu_e1_m")" 1.2 \
    "$(met "$(ratio "$cpu_plain_m" "$cpu_e1_m")" 1.2)"
echo "(load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); on a busy machine the wall-clock ratios are noise,"
echo " the CPU time per handshake less so)"
