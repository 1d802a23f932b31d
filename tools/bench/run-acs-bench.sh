#!/usr/bin/env bash
# tools/bench/run-acs-bench.sh — `hnbsim acs` against nginx as a TLS H(e)MS front end (issue 14): full handshakes/s,
# resumed handshakes/s, whole Inform sessions/s (hnbsim acs only) and the server's CPU time per handshake, from
# acs-load over real loopback sockets.
#
# Usage: tools/bench/run-acs-bench.sh [--quick] [--runs R] [HNBSIM]
#   HNBSIM     the hnbsim binary (default: build/hnbsim under the source tree); not built here.  The load client is
#              the acs-load meson builds beside it (HNBSIM's dir/tools/acs-load).
#   --runs R   alternating rounds (default 5); medians are reported.
#   --quick    a smoke run: 1 round of 2 s per measurement.
# Output: medians of rates and CPU times; hnbsim/nginx is the median of the per-round ratios.
# Environment: ACS_LOAD (the acs-load binary), NGINX (default: nginx on PATH, or /usr/sbin/nginx), SECONDS_PER_RUN
#              (each measurement's --duration, default 10), CONCURRENCY (acs-load's, default 64),
#              HNBSIM_B (a second hnbsim binary, e.g. one build with a change to try: each round also measures its
#              full and resumed handshakes, right after HNBSIM's, for an A/B in the same spell),
#              WORKERS2 (non-empty: each round also measures Inform sessions against hnbsim acs --workers 2 on both
#              cores, the client unpinned beside it).
#
# Both servers run pinned to core 0 (taskset -c 0), the load client on core 1; each round measures hnbsim acs, then
# nginx, so a slow spell of the machine falls on both.  hnbsim acs offers session-ID resumption (--resumption ids),
# as nginx does (a shared session cache, no tickets).  See tools/bench/README.md for what is measured.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

runs=5
quick=""
hnbsim=""
# shared helpers: run, field, median, need_built, parse_bench_args, need_two_cores, bench_scratch, start_acs,
# cpu_ticks, m, pratio
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_option() {
    case "$1" in
    --quick) quick=1 ;;
    *) return 1 ;;
    esac
}
parse_bench_args "$@"
seconds=${SECONDS_PER_RUN:-10}
if [ -n "$quick" ]; then
    runs=1
    seconds=${SECONDS_PER_RUN:-2}
fi
concurrency=${CONCURRENCY:-64}
for v in runs seconds concurrency; do
    case "${!v}" in
    '' | *[!0-9]* | 0) echo "$0: $v must be a whole number >= 1, got '${!v}'" >&2; exit 2 ;;
    esac
done
hnbsim=${hnbsim:-$root/build/hnbsim}
load=${ACS_LOAD:-$(dirname "$hnbsim")/tools/acs-load}
need_built "or pass the hnbsim path / set ACS_LOAD" "$hnbsim" "$load"
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$nginx" ] || { echo "$0: no nginx (apt-get install nginx-light, or set NGINX)" >&2; exit 2; }
need_two_cores "the load"

bench_scratch
nginx_pid=""
bench_stop() {
    [ -z "$nginx_pid" ] || { kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; }
}


# ---- the PKI: the default profile (RSA-2048 H(e)MS under the RSA-2048 root, EC P-256 devices, CRL) ----
pki=$tmp/pki
run "hnbsim pki" "$hnbsim" pki --out "$pki" --hnb 64 >/dev/null
# The profile's cipher suites, as crypto/tls.h gives them to both the server and acs-load's client (TLS 1.2 only).
ciphers=$(sed -n '/#define HNB_TLS_A5_CIPHERS/,/^$/p' "$root/crypto/tls.h" | grep -o '"[^"]*"' | tr -d '"\n')
case "$ciphers" in AES128-SHA:*) ;; *) echo "$0: no HNB_TLS_A5_CIPHERS in crypto/tls.h (got '$ciphers')" >&2; exit 1 ;; esac

# wait_port PID PORT: until PORT takes a connection while PID runs; fails if PID ends first or after 10 s.
wait_port() {
    for _ in $(seq 1 100); do
        kill -0 "$1" 2>/dev/null || return 1
        if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# ---- hnbsim acs on core 0, a port of its choosing (start_acs, lib.sh) ----
start_acs acs 0 "$hnbsim"
[ -z "${HNBSIM_B:-}" ] || start_acs acsB 0 "$HNBSIM_B"
[ -z "${WORKERS2:-}" ] || start_acs acs2w 0,1 "$hnbsim" --workers 2

# ---- nginx on core 0: one process (no master), the same certificate, suites, versions, client CA and CRL ----
mkdir -p "$tmp/nginx"
# a static answer to every POST, shaped like an InformResponse; nginx keeps no CWMP session, so its session runs are
# not measured
inform_response='<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soap:Header><cwmp:ID soap:mustUnderstand="1">1</cwmp:ID></soap:Header><soap:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse></soap:Body></soap:Envelope>'
start_nginx() {
    local try port
    for try in $(seq 1 20); do
        port=$((20000 + RANDOM % 40000))
        cat >"$tmp/nginx/nginx.conf" <<EOF
# written by tools/bench/run-acs-bench.sh: nginx as a TLS front end held to the TS 33.320 8.3.4 profile of hnbsim acs
daemon off;
master_process off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
worker_rlimit_nofile 8192;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $pki/hems.pem;
        ssl_certificate_key $pki/hems.key;
        ssl_protocols TLSv1.2;
        ssl_ciphers $ciphers;
        ssl_prefer_server_ciphers on;
        ssl_verify_client on;
        ssl_client_certificate $pki/mfr.pem;
        ssl_crl $pki/crl.pem;
        ssl_verify_depth 2;
        # session-ID resumption, as the profile's [tls] resumption = ids; no tickets
        ssl_session_cache shared:hnb:16m;
        ssl_session_tickets off;
        ssl_session_timeout 1d;
        location / {
            default_type text/xml;
            return 200 '$inform_response';
        }
    }
}
EOF
        taskset -c 0 "$nginx" -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" \
            >"$tmp/nginx/out" 2>&1 </dev/null &
        nginx_pid=$!
        if wait_port "$nginx_pid" "$port"; then
            nginx_port=$port
            return 0
        fi
        kill "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
        nginx_pid=""
    done
    echo "$0: nginx did not start on a free port (20 tries); its last words:" >&2
    sed 's/^/  | /' "$tmp/nginx/out" "$tmp/nginx/error.log" >&2
    exit 1
}
nginx_port=""
start_nginx

hz=$(getconf CLK_TCK)

# measure NAME PID PORT MODE [CORES]: one acs-load run on core 1 (on CORES if given) against the server on PORT;
# appends the rate, the server's CPU µs per completed connection, the client's and the resumed share to
# $tmp/NAME-MODE.{rate,cpu,ccpu,res}.
measure() {
    local name=$1 pid=$2 port=$3 mode=$4 cores=${5:-1} c0 c1 line done
    c0=$(cpu_ticks "$pid")
    line=$(run "acs-load --mode $mode against $name" taskset -c "$cores" "$load" --target "127.0.0.1:$port" \
        --pki "$pki" --mode "$mode" --concurrency "$concurrency" --duration "$seconds")
    c1=$(cpu_ticks "$pid")
    done=$(field completed "$line")
    [ "$done" -gt 0 ] || { echo "$0: $name $mode: nothing completed: $line" >&2; exit 1; }
    field rate_per_s "$line" >>"$tmp/$name-$mode.rate"
    awk -v d="$((c1 - c0))" -v hz="$hz" -v n="$done" 'BEGIN { printf "%.1f\n", 1e6 * d / hz / n }' \
        >>"$tmp/$name-$mode.cpu"
    awk -v c="$(field cpu_s "$line")" -v n="$done" 'BEGIN { printf "%.1f\n", 1e6 * c / n }' >>"$tmp/$name-$mode.ccpu"
    awk -v r="$(field resumed "$line")" -v n="$done" 'BEGIN { printf "%.1f\n", 100 * r / n }' >>"$tmp/$name-$mode.res"
    echo "  $name $mode: $line" >&2
}

# ---- the rounds ----
for ((i = 1; i <= runs; i++)); do
    echo "round $i/$runs ..." >&2
    for mode in full resumed; do
        measure acs "$acs_pid" "$acs_port" $mode
        [ -z "${HNBSIM_B:-}" ] || measure acsB "$acsB_pid" "$acsB_port" $mode
        measure nginx "$nginx_pid" "$nginx_port" $mode
    done
    measure acs "$acs_pid" "$acs_port" session
    # --workers 2 takes both cores: the client shares them
    [ -z "${WORKERS2:-}" ] || measure acs2w "$acs2w_pid" "$acs2w_port" session 0,1
done

echo
echo "# TLS 1.2 mutual-auth over loopback, suites $ciphers; RSA-2048 H(e)MS, EC P-256 devices, CRL checked;"
echo "# servers on core 0, acs-load on core 1 (--concurrency $concurrency, ${seconds} s a run); medians of $runs rounds"
printf '%-34s %12s %12s %16s\n' what "hnbsim acs" nginx "hnbsim/nginx"
for mode in full resumed; do
    printf '%-34s %12.0f %12.0f %16s\n' "$mode handshakes/s" "$(m "acs-$mode.rate")" "$(m "nginx-$mode.rate")" \
        "$(pratio "acs-$mode.rate" "nginx-$mode.rate")"
    printf '%-34s %12.0f %12.0f %16s\n' "  server CPU us per handshake" "$(m "acs-$mode.cpu")" "$(m "nginx-$mode.cpu")" \
        "$(pratio "acs-$mode.cpu" "nginx-$mode.cpu")"
    printf '%-34s %12.0f %12.0f %16s\n' "  client CPU us per handshake" "$(m "acs-$mode.ccpu")" "$(m "nginx-$mode.ccpu")" -
    printf '%-34s %11.0f%% %11.0f%% %16s\n' "  resumed share" "$(m "acs-$mode.res")" "$(m "nginx-$mode.res")" -
done
printf '%-34s %12.0f %12s %16s\n' "Inform sessions/s" "$(m acs-session.rate)" "-" -
printf '%-34s %12.0f %12s %16s\n' "  server CPU us per session" "$(m acs-session.cpu)" "-" -
if [ -n "${WORKERS2:-}" ]; then
    printf '%-34s %12.0f %12s %16s\n' "Inform sessions/s, --workers 2" "$(m acs2w-session.rate)" "-" -
    printf '%-34s %12.0f %12s %16s\n' "  per worker" "$(m acs2w-session.rate | awk '{ print $1 / 2 }')" "-" -
    printf '%-34s %12.0f %12s %16s\n' "  server CPU us per session" "$(m acs2w-session.cpu)" "-" -
    printf '%-34s %12s %12s %16s\n' "  vs --workers 1 (same rounds)" "$(pratio acs2w-session.rate acs-session.rate)" "-" -
fi
if [ -n "${HNBSIM_B:-}" ]; then
    for mode in full resumed; do
        printf '%-34s %12.0f %12s %16s\n' "HNBSIM_B $mode handshakes/s" "$(m "acsB-$mode.rate")" "-" \
            "B/A $(pratio "acsB-$mode.rate" "acs-$mode.rate")"
        printf '%-34s %12.0f %12s %16s\n' "  server CPU us per handshake" "$(m "acsB-$mode.cpu")" "-" \
            "B/A $(pratio "acsB-$mode.cpu" "acs-$mode.cpu")"
    done
fi
echo "(hnbsim/nginx: the median of the rounds' ratios.  nginx serves a static answer to every POST and keeps no"
echo " CWMP session: its sessions are not measured."
echo " A resumed share under 100% means the server did full handshakes when offered a session."
echo " Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg).)"
