#!/usr/bin/env bash
# umiflow group on a coordinate-sorted input (it sorts by itself) against the two-step path: samtools sort
# --template-coordinate -@2, then umiflow group on its output. Same run, alternating; medians of N runs of
# wall time, CPU seconds and peak RSS (the two-step path: the sum of both steps' times, the larger RSS),
# the ratio, and a check that both give the same records in the same order.
#
#   bench/scripts/group-unsorted.sh [--records 2000000] [--runs 3] [--memory "default 512m"] [--dir DIR]
#
# samtools gets -m 768M (its default per thread). "default" runs umiflow without --memory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=lib.sh
. "$here/bench/scripts/lib.sh"
records=2000000 runs=3 memories="default 512m" dir=/tmp/umiflow-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --memory) memories=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
input=$(coordinate_input "$records")
echo "input $input ($records records, coordinate-sorted), $(nproc) cores, medians of $runs"
printf '%-10s %-34s %8s %8s %9s\n' "memory" "path" "wall s" "CPU s" "RSS MiB"
for mem in $memories; do
  opt=(); [ "$mem" != default ] && opt=(--memory "$mem")
  tt=(); tc=(); tr=(); ft=(); fc=(); fr=()
  for _ in $(seq "$runs"); do
    read -r t1 m1 c1 < <(once "$dir/two-step.tc.bam" samtools sort --template-coordinate -@2 -m 768M \
      -o "$dir/two-step.tc.bam" "$input")
    read -r t2 m2 c2 < <(once "$dir/two-step.bam" "$here/umiflow" group -i "$dir/two-step.tc.bam" \
      -o "$dir/two-step.bam" -s adjacency -q "${opt[@]}")
    tt+=("$(echo "$t1 + $t2" | bc -l)"); tc+=("$(echo "$c1 + $c2" | bc -l)"); tr+=("$(( m1 > m2 ? m1 : m2 ))")
    read -r t m c < <(once "$dir/fused.bam" "$here/umiflow" group -i "$input" -o "$dir/fused.bam" -s adjacency -q \
      "${opt[@]}")
    ft+=("$t"); fc+=("$c"); fr+=("$m")
  done
  cmp <(samtools view "$dir/two-step.bam") <(samtools view "$dir/fused.bam") || { echo "the outputs differ" >&2; exit 1; }
  a=$(printf '%s\n' "${tt[@]}" | median); b=$(printf '%s\n' "${ft[@]}" | median)
  ac=$(printf '%s\n' "${tc[@]}" | median); bc=$(printf '%s\n' "${fc[@]}" | median)
  ar=$(printf '%s\n' "${tr[@]}" | median); br=$(printf '%s\n' "${fr[@]}" | median)
  printf '%-10s %-34s %8.2f %8.2f %9.0f\n' "$mem" "samtools sort + umiflow group" "$a" "$ac" "$(echo "$ar / 1024" | bc -l)"
  printf '%-10s %-34s %8.2f %8.2f %9.0f\n' "$mem" "umiflow group (sorts itself)" "$b" "$bc" "$(echo "$br / 1024" | bc -l)"
  printf '%-10s fused / two-step: wall %.2fx, CPU %.2fx\n' "$mem" "$(echo "$b / $a" | bc -l)" "$(echo "$bc / $ac" | bc -l)"
done
