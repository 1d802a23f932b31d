#!/usr/bin/env bash
# scenarios/validation/run.sh — the validation study of issue 15 (README.md here): the model, calibrated on a real
# `hnbsim acs`, against what `hnbsim drive` measures on it, at offered loads from 20% to 120% of its capacity.
#
#   scenarios/validation/run.sh [-o DIR] [--hnbsim PATH] [--loads "20 40 ..."] [--seconds S] [--knee slots|cpu]
#
# The server (2 workers, --max-sessions 50) runs on core 0, calibrate and the drives on core 1.  Per load L: [fleet]
# size = L% x 100 sessions/s x 60 s (each HNB informs once a minute), `hnbsim drive --wan --model` (the model's
# replications after the measurement), its comparison directory kept as DIR/load-L/.  Then DIR/points.csv (one row
# per load and variant) and the figure DIR/panels.{png,svg} (gnuplot: throughput, session p50 and p95, refused
# fraction; the model's mean with its 95% interval, the measurement as points).  About 12 minutes.
# --knee cpu: cpu.ini instead (an RSA-4096 H(e)MS key, --resumption none, --max-sessions 1000, no WAN; loads 20 50 80
# of the server's CPU capacity, 1 / (its CPU per full handshake + 2 round trips) from the calibration).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=runs/validation hnbsim=$root/build/hnbsim loads= seconds=60 knee=slots
while [ $# -gt 0 ]; do
  case $1 in
    -o) out=$2; shift 2 ;;
    --hnbsim) hnbsim=$2; shift 2 ;;
    --loads) loads=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --knee) knee=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
case $knee in
  slots) scenario=informs.ini cal=calibration.cal pki_set= acs_opts="--max-sessions 50" wan=--wan loads=${loads:-"20 40 60 80 90 100 110 120"}
         capacity=100 ;;  # sessions/s: 50 slots / 0.5 s held (informs.ini)
  cpu) scenario=cpu.ini cal=calibration-cpu.cal pki_set="--set pki.hems_key=rsa-4096" acs_opts="--max-sessions 1000 --resumption none" wan=
       loads=${loads:-"20 50 80"} capacity=200 ;;  # an upper bound for the PKI's size; measured below
  *) echo "run.sh: --knee slots or cpu" >&2; exit 2 ;;
esac
[ -x "$hnbsim" ] || { echo "run.sh: no hnbsim at $hnbsim (meson setup build && ninja -C build)" >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "run.sh: gnuplot is needed for the figure" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "run.sh: needs 2 CPUs (the server on one, the driver on the other)" >&2; exit 2; }
load1=$(cut -d' ' -f1 /proc/loadavg)
awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }' && echo "run.sh: warning: load average $load1: other work shares the cores" >&2
[ -e "$out" ] && { echo "run.sh: $out exists; remove it or give -o" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
max_hnbs=$(awk -v c=$capacity -v l="$(echo "$loads" | tr ' ' '\n' | sort -n | tail -1)" 'BEGIN { printf "%d", l / 100 * c * 60 + 0.5 }')

echo "== PKI for $max_hnbs HNBs" >&2
"$hnbsim" pki --out "$out/pki" --hnb "$max_hnbs" $pki_set >/dev/null
taskset -c 0 "$hnbsim" acs --listen 127.0.0.1:0 --pki "$out/pki" --workers 2 $acs_opts \
  --metrics 127.0.0.1:0 >"$out/acs.out" 2>"$out/acs.log" &
acs=$!
trap 'kill $acs 2>/dev/null; wait $acs 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening on" "$out/acs.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$out/acs.out")
mport=$(sed -n 's/^metrics on http:\/\/127.0.0.1:\([0-9]*\)\/metrics$/\1/p' "$out/acs.out")
[ -n "$port" ] && [ -n "$mport" ] || { echo "run.sh: hnbsim acs did not come up (see $out/acs.log)" >&2; exit 1; }
target=https://127.0.0.1:$port metrics=http://127.0.0.1:$mport/metrics

echo "== calibrate --target $target" >&2
taskset -c 1 "$hnbsim" calibrate --target "$target" --metrics "$metrics" --pki "$out/pki" -o "$out/$cal" \
  >"$out/calibration.txt"
cp "$here/$scenario" "$out/$scenario"
if [ "$knee" = cpu ]; then  # the server's CPU capacity: one core for the full handshake and two round trips
  capacity=$(sed -n 's/.*server CPU a full handshake \([0-9.]*\) ms.* a round trip \([0-9.]*\) ms.*/\1 \2/p' \
    "$out/calibration.txt" | awk '{ printf "%.1f", 1000 / ($1 + 2 * $2) }')
  [ -n "$capacity" ] || { echo "run.sh: no server CPU in $out/calibration.txt" >&2; exit 1; }
  echo "== capacity $capacity sessions/s (1 / the server's CPU per session)" >&2
fi

echo "load_pct,hnbs,variant,throughput_per_s,throughput_ci,session_p50_s,session_p50_ci,session_p95_s,session_p95_ci,refused_fraction,refused_ci,handshake_p50_s,handshake_p50_ci" >"$out/points.csv"
for l in $loads; do
  n=$(awk -v c=$capacity -v l="$l" 'BEGIN { printf "%d", l / 100 * c * 60 + 0.5 }')
  echo "== load $l%: $n HNBs" >&2
  taskset -c 1 "$hnbsim" drive "$out/$scenario" --target "$target" --pki "$out/pki" --metrics "$metrics" $wan \
    --model --hnbs "$n" --set "scenario.duration=${seconds}s" -o "$out/load-$l" --quiet
  grep -q '"paced": true' "$out/load-$l/manifest.json" || echo "run.sh: warning: load $l% was not paced (manifest.json)" >&2
  # compare.csv: metric,unit,model mean,model ci95_half,measured mean,measured ci95_half
  awk -F, -v l="$l" -v n="$n" '
    { m[$1] = $3; c[$1] = $4; x[$1] = $5 }
    END {
      split("throughput_per_s session_p50_s session_p95_s refused_fraction handshake_p50_s", k, " ")
      printf "%s,%s,model", l, n; for (i = 1; i <= 5; i++) printf ",%s,%s", m[k[i]], c[k[i]]; printf "\n"
      printf "%s,%s,measured", l, n; for (i = 1; i <= 5; i++) printf ",%s,0", x[k[i]]; printf "\n"
    }' "$out/load-$l/compare.csv" >>"$out/points.csv"
done

gnuplot -e "points='$out/points.csv'; out='$out/panels'; capacity='$capacity'" "$here/panels.gp"
echo "== $out/points.csv, $out/panels.png and .svg" >&2
column -s, -t <"$out/points.csv" | cut -c1-160
