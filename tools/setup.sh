#!/usr/bin/env bash
# tools/setup.sh — install what hnbsim needs on Debian 12 (apt-get; as root, or through sudo), only if missing.
# Usage: tools/setup.sh [--tests]   (--tests: also what only the tests need: chromium for the report test, Open MPI
# for `mpirun -n 3 hnbsim sweep`, curl for the acs tests' HTTP client)
set -euo pipefail
pkgs=(meson ninja-build pkg-config gcc g++ clang libclang-rt-14-dev libglib2.0-dev libssl-dev openssl libev-dev
      libhttp-parser-dev libxml2-dev gnuplot-nox python3 libmimalloc-dev)
[ "${1:-}" = "--tests" ] && pkgs+=(chromium libopenmpi-dev openmpi-bin curl)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
