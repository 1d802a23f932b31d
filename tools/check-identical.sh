#!/usr/bin/env bash
# tools/check-identical.sh — prove that the working tree's hnbsim writes byte-identical results to a reference commit
# for shipped scenarios: every file of every result directory but manifest.json (the only file allowed to differ,
# README "A run writes").  For a change that must not change behaviour: a refactoring, a new representation.
#
# Usage: tools/check-identical.sh [--ref REV] [--threads N] [--quick] [SCENARIO...]
#   --ref REV    the reference commit (default HEAD: the last commit against the working tree)
#   --threads N  --threads of both runs (default 2; results do not depend on it)
#   --quick      skip scenarios/sizing/operator-250k.ini (3 replications of 250k HNBs, ~1.5 min a side)
#   SCENARIO...  default: every scenarios/**/*.ini
# Every scenario is run with `hnbsim run`; one with a [sweep] group is also run with `hnbsim sweep` (both write
# whole directories).  The reference is built once per commit in $HNB_IDENTICAL_CACHE (default
# /tmp/hnbsim-identical/SHA) and its results are kept there, so later checks against the same commit only run the
# new binary.  The working tree is built in build-identical/.  Exit 0: all identical; 1: a difference (the differing
# files are listed) or a run that failed on one side only; 2: bad usage.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
ref=HEAD threads=2 quick=0 scenarios=()
while (($#)); do
  case $1 in
    --ref) ref=${2:?--ref needs a commit}; shift 2 ;;
    --threads) threads=${2:?--threads needs a number}; shift 2 ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "check-identical: unknown option $1" >&2; exit 2 ;;
    *) scenarios+=("$1"); shift ;;
  esac
done
sha=$(git rev-parse --verify -q "$ref^{commit}") || { echo "check-identical: $ref is not a commit" >&2; exit 2; }
if ((${#scenarios[@]} == 0)); then
  mapfile -t scenarios < <(find scenarios -name '*.ini' | sort)
fi
if ((quick)); then
  kept=(); for s in "${scenarios[@]}"; do [[ $s == *sizing/operator-250k.ini ]] || kept+=("$s"); done
  scenarios=("${kept[@]}")
fi
for s in "${scenarios[@]}"; do [ -f "$s" ] || { echo "check-identical: no scenario $s" >&2; exit 2; }; done

cache=${HNB_IDENTICAL_CACHE:-/tmp/hnbsim-identical}/$sha
build() { # source dir, build dir
  { [ -f "$2/build.ninja" ] || meson setup "$2" "$1" >/dev/null; } && ninja -C "$2" hnbsim >/dev/null
}
if [ ! -x "$cache/build/hnbsim" ]; then
  echo "check-identical: building the reference ${sha:0:12}" >&2
  mkdir -p "$cache"
  rm -rf "$cache/src"
  git worktree add --detach -f "$cache/src" "$sha" >/dev/null 2>&1 || { echo "check-identical: cannot check out $sha" >&2; exit 1; }
  build "$cache/src" "$cache/build" || { echo "check-identical: the reference does not build" >&2; exit 1; }
  git worktree remove --force "$cache/src" >/dev/null 2>&1 || true
fi
echo "check-identical: building the working tree" >&2
build "$root" "$root/build-identical" || { echo "check-identical: the working tree does not build" >&2; exit 1; }

# Run one command into DIR (kept when it exists and completed, so a reference runs once per commit).
runinto() { # binary, dir, subcommand, scenario
  local bin=$1 dir=$2 cmd=$3 sc=$4
  [ -f "$dir.rc" ] && return "$(cat "$dir.rc")"
  rm -rf "$dir"
  "$bin" "$cmd" "$sc" -o "$dir" --quiet --threads "$threads" >"$dir.log" 2>&1
  local rc=$?
  echo $rc >"$dir.rc"
  return $rc
}

new=$(mktemp -d /tmp/hnbsim-identical-new.XXXXXX)
trap 'rm -rf "$new"' EXIT
mkdir -p "$cache/out"
bad=0 n=0
for s in "${scenarios[@]}"; do
  cmds=(run)
  grep -q '^\[sweep\]' "$s" && cmds+=(sweep)
  for c in "${cmds[@]}"; do
    name=$c-$(echo "${s%.ini}" | tr '/' '_')
    start=$SECONDS
    runinto "$cache/build/hnbsim" "$cache/out/$name" "$c" "$s"
    rref=$?
    runinto "$root/build-identical/hnbsim" "$new/$name" "$c" "$s"
    rnew=$?
    n=$((n + 1))
    if [ "$rref" != "$rnew" ]; then
      echo "DIFFERENT $c $s: exit status $rref (reference) vs $rnew (working tree)"; tail -3 "$new/$name.log"; bad=1
    elif [ "$rref" != 0 ]; then
      echo "same      $c $s: both failed with $rref"
    elif d=$(diff -rq -x manifest.json "$cache/out/$name" "$new/$name"); then
      echo "same      $c $s ($((SECONDS - start)) s)"
    else
      echo "DIFFERENT $c $s:"; echo "$d" | sed 's/^/    /'; bad=1
    fi
  done
done
echo "check-identical: $n result directories against ${sha:0:12}: $([ $bad = 0 ] && echo all identical || echo DIFFERENCES)"
exit $bad
