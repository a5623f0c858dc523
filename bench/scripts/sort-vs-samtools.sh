#!/usr/bin/env bash
# umiflow sort against samtools sort --template-coordinate on the same coordinate-sorted input, in the same
# run, alternating. Prints the median wall time, CPU seconds and peak RSS of N runs each and the ratios, and
# checks the two outputs hold the same records in the same order.
#
#   bench/scripts/sort-vs-samtools.sh [--records 2000000] [--runs 3] [--memory 1g] [--dir DIR]
#
# samtools gets -@2 and -m 768M (its default per thread), so that its peak RSS is close to umiflow's at 1g.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=lib.sh
. "$here/bench/scripts/lib.sh"
records=2000000 runs=3 memory=1g dir=/tmp/umiflow-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
input=$(coordinate_input "$records")
st=(); sr=(); sc=(); ut=(); ur=(); uc=()
for _ in $(seq "$runs"); do
  read -r t m c < <(once "$dir/samtools-tc.bam" samtools sort --template-coordinate -@2 -m 768M -o "$dir/samtools-tc.bam" "$input")
  st+=("$t"); sr+=("$m"); sc+=("$c")
  read -r t m c < <(once "$dir/umiflow-tc.bam" "$here/umiflow" sort -i "$input" -o "$dir/umiflow-tc.bam" --memory "$memory" -q)
  ut+=("$t"); ur+=("$m"); uc+=("$c")
done
cmp <(samtools view "$dir/samtools-tc.bam") <(samtools view "$dir/umiflow-tc.bam") || { echo "the outputs differ" >&2; exit 1; }
a=$(printf '%s\n' "${st[@]}" | median); b=$(printf '%s\n' "${ut[@]}" | median)
ac=$(printf '%s\n' "${sc[@]}" | median); bc=$(printf '%s\n' "${uc[@]}" | median)
ar=$(printf '%s\n' "${sr[@]}" | median); br=$(printf '%s\n' "${ur[@]}" | median)
echo "input $input, $(nproc) cores, medians of $runs, same records in the same order"
printf '%-44s %8s %8s %9s\n' "command" "wall s" "CPU s" "RSS MiB"
printf '%-44s %8.2f %8.2f %9.0f\n' "samtools sort --template-coordinate -@2" "$a" "$ac" "$(echo "$ar / 1024" | bc -l)"
printf '%-44s %8.2f %8.2f %9.0f\n' "umiflow sort --memory $memory" "$b" "$bc" "$(echo "$br / 1024" | bc -l)"
printf 'umiflow / samtools: wall %.2fx, CPU %.2fx\n' "$(echo "$b / $a" | bc -l)" "$(echo "$bc / $ac" | bc -l)"
