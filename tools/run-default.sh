#!/usr/bin/env bash
# tools/run-default.sh — from a fresh Debian 12 machine: install, build, run the default scenario, say where the
# figures are.  Extra arguments go to `hnbsim run` (e.g. --force, -o DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
build/hnbsim run "$@"
