#!/usr/bin/env bash
# tests/check-layers.sh — the layers of docs/DESIGN.md ("Layers"), checked on the sources: a file may include
# headers of its own folder and of the folders below it, never of one above.
#
#   sim/      the kernel            may include: sim
#   crypto/   the real cryptography may include: crypto, sim
#   results/  run directories       may include: results, sim
#   models/   what is simulated     may include: models, crypto, results, sim
#   tools/    the commands          may include: anything but tests
#   tests/    the tests             may include: anything
#
# Also: every project header is included by folder ("sim/time.h", never "time.h"), since only the project root is on
# the include path.  Prints each violation as FILE:LINE: what; exit status 1 when there is one.
set -uo pipefail
root=${1:-${HNB_SOURCE_DIR:-$(dirname "$0")/..}}
cd "$root" || exit 2
declare -A allowed=(
  [sim]="sim" [crypto]="crypto sim" [results]="results sim" [models]="models crypto results sim"
  [tools]="tools models crypto results sim" [tests]="tests tools models crypto results sim")
bad=0 files=0
for layer in "${!allowed[@]}"; do
  while IFS= read -r f; do
    files=$((files + 1))
    while IFS=: read -r line inc; do
      folder=${inc%%/*}
      if [ "$folder" = "$inc" ]; then
        echo "$f:$line: \"$inc\" is not included by folder"; bad=1
      elif [[ " ${allowed[$layer]} " != *" $folder "* ]]; then
        echo "$f:$line: $layer/ may not include \"$inc\" (a layer above it)"; bad=1
      fi
    done < <(grep -nE '^\s*#\s*include\s+"' "$f" | sed -E 's/^([0-9]+):.*#\s*include\s+"([^"]+)".*/\1:\2/')
  done < <(find "$layer" -name '*.[ch]' -o -name '*.cc' | sort)
done
if [ "$files" -lt 50 ]; then echo "check-layers: only $files files found under $root"; exit 1; fi
[ $bad = 0 ] && echo "check-layers: $files files keep to their layers"
exit $bad
