#!/usr/bin/env bash
# Checks the memory promise on simulated inputs, whole process, /usr/bin/time for wall time and peak RSS:
#   1. five shapes of about 3M records each -- a giant position group of 12-base UMIs, hotspots of 50k-300k
#      templates among ordinary groups, one hotspot split into 16 library x cell partitions, the default
#      shape, and the default shape's records sorted by coordinate (group sorts them first) -- at --memory 256m, 512m and 1g with 2 and 16 threads: every run completes, its records equal a
#      run at --memory 8g, and its peak RSS is at most --memory;
#   2. (unless --skip-20m) 2M and 20M default records at --memory 1g: peak RSS within 10% of each other.
#
#   bench/scripts/memory-ceiling.sh [--runs 1] [--dir /tmp/umiflow-bench] [--skip-20m] [--shapes "giant ..."]
#
# Inputs are made with umiflow simulate and kept in DIR. Needs samtools (installed when missing) to compare
# outputs. Prints one row per run; exits non-zero when a check fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs=1 dir=/tmp/umiflow-bench skip20=0 shapes="giant hotspots partitions default unsorted"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --skip-20m) skip20=1; shift ;;
    --shapes) shapes=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v samtools >/dev/null || { apt-get update -qq && apt-get install -y -qq samtools >/dev/null; }
mkdir -p "$dir"

shape_args() {
  case "$1" in
    # one group of 1.2M templates, 12-base UMIs, ~110k distinct; 600k ordinary records around it
    giant) echo "--records 600000 --amplicon-loci 1 --amplicon-templates 1200000 --family-mean 15 --umi-length 12 --umi-error-rate 0.002" ;;
    # hotspots of 50k, 120k, 200k and 300k templates (the largest ~95k distinct UMIs) among ~600k ordinary records
    hotspots) echo "--records 600000 --amplicon-loci 4 --amplicon-templates 50000,120000,200000,300000 --family-mean 5 --umi-length 12 --umi-error-rate 0.01" ;;
    # one hotspot of 1.3M templates in 4 libraries x 4 cells: partitions of about 80k templates
    partitions) echo "--records 400000 --amplicon-loci 1 --amplicon-templates 1300000 --family-mean 5 --libraries 4 --cells 4 --umi-length 12 --umi-error-rate 0.01" ;;
    default|unsorted) echo "--records 3000000" ;;
  esac
}

make_input() { # name, simulate args...
  local name=$1; shift
  if [ "$name" = unsorted ]; then # the default shape's records by coordinate: group sorts them itself
    [ -f "$dir/$name.bam" ] || samtools sort -@2 -l 1 -o "$dir/$name.bam" "$(make_input default "$@")"
  else
    [ -f "$dir/$name.bam" ] || "$here/umiflow" simulate -o "$dir/$name.bam" --compression-level 1 "$@" >&2
  fi
  echo "$dir/$name.bam"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# input, output, memory, threads -> "median_s median_rss_kb status" (status 0 or the exit code)
measure() {
  local times=() rss=() status=0
  for _ in $(seq "$runs"); do
    rm -f "$2"
    if /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$here/umiflow" group -i "$1" -o "$2" -s adjacency \
        --threads "$4" --memory "$3" -q 2>"$dir/err.txt"; then :; else status=$?; fi
    read -r t m < "$dir/time.txt" || true
    times+=("${t:-0}"); rss+=("${m:-0}")
  done
  echo "$(printf '%s\n' "${times[@]}" | median) $(printf '%s\n' "${rss[@]}" | median) $status"
}

records_md5() { samtools view "$1" | md5sum | cut -d' ' -f1; }

fail=0
printf '%-11s %7s %7s %9s %9s %8s  %s\n' shape memory threads "wall s" "RSS MiB" "of mem" result
for shape in $shapes; do
  # shellcheck disable=SC2046
  input=$(make_input "$shape" $(shape_args "$shape"))
  read -r t8 r8 s8 < <(measure "$input" "$dir/$shape.8g.bam" 8g 2)
  [ "$s8" = 0 ] || { echo "$shape at 8g failed: $(cat "$dir/err.txt")"; fail=1; continue; }
  ref=$(records_md5 "$dir/$shape.8g.bam")
  printf '%-11s %7s %7s %9.2f %9.0f %8s  %s\n' "$shape" 8g 2 "$t8" "$(echo "$r8 / 1024" | bc -l)" - reference
  for memory in 256m 512m 1g; do
    case "$memory" in *g) limit_kb=$(( ${memory%g} * 1048576 )) ;; *) limit_kb=$(( ${memory%m} * 1024 )) ;; esac
    for threads in 2 16; do
      read -r t r s < <(measure "$input" "$dir/$shape.out.bam" "$memory" "$threads")
      if [ "$s" != 0 ]; then
        result="FAILED: $(head -c 300 "$dir/err.txt")"; fail=1
      elif [ "$(records_md5 "$dir/$shape.out.bam")" != "$ref" ]; then
        result="FAILED: records differ from 8g"; fail=1
      elif [ "$r" -gt "$limit_kb" ]; then
        result="FAILED: peak RSS over --memory"; fail=1
      else
        result="ok"
      fi
      printf '%-11s %7s %7s %9.2f %9.0f %7.0f%%  %s\n' "$shape" "$memory" "$threads" "$t" \
        "$(echo "$r / 1024" | bc -l)" "$(echo "100 * $r / $limit_kb" | bc -l)" "$result"
    done
  done
  rm -f "$dir/$shape.out.bam" "$dir/$shape.8g.bam"
done

if [ "$skip20" = 0 ]; then
  small=$(make_input normal-2000000 --records 2000000)
  large=$(make_input normal-20000000 --records 20000000)
  read -r t2 r2 _ < <(measure "$small" "$dir/out.bam" 1g 2)
  read -r t20 r20 _ < <(measure "$large" "$dir/out.bam" 1g 2)
  printf '2M at 1g: %.2f s, %.0f MiB; 20M at 1g: %.2f s, %.0f MiB (%+.1f%%)\n' "$t2" "$(echo "$r2 / 1024" | bc -l)" \
    "$t20" "$(echo "$r20 / 1024" | bc -l)" "$(echo "100 * ($r20 - $r2) / $r2" | bc -l)"
  if awk "BEGIN { exit !($r20 <= 1.10 * $r2 && $r2 <= 1.10 * $r20) }"; then echo "  ok: within 10%"; else echo "  FAILED: RSS grows with length"; fail=1; fi
  rm -f "$dir/out.bam"
fi
exit $fail
