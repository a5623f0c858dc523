#!/usr/bin/env bash
# Checks the memory issue's claims on simulated inputs, whole process, /usr/bin/time peak RSS, medians of N runs:
#   1. 2M and 20M normal records at --memory 1g: peak RSS <= 1 GiB, and within 10% of each other;
#   2. amplicon input (one position group of >= 1M templates, 12-base UMIs) at --memory 512m: completes with
#      peak RSS <= 512 MiB and decompressed records identical to a run at --memory 8g.
#
#   bench/scripts/memory-ceiling.sh [--runs 3] [--threads 2] [--dir /tmp/umiflow-bench] [--skip-20m]
#
# Inputs are made with umiflow simulate and kept in DIR (20M records take ~2 minutes to simulate). Needs
# samtools (installed when missing) to compare outputs. Exits non-zero when a check fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs=3 threads=2 dir=/tmp/umiflow-bench skip20=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --skip-20m) skip20=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v samtools >/dev/null || { apt-get update -qq && apt-get install -y -qq samtools >/dev/null; }
mkdir -p "$dir"

make_input() { # name, simulate args...
  local name=$1; shift
  [ -f "$dir/$name.bam" ] || "$here/umiflow" simulate -o "$dir/$name.bam" "$@" >&2
  echo "$dir/$name.bam"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

measure() { # input, memory, output -> "median_s median_rss_kb"
  local times=() rss=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$here/umiflow" group -i "$1" -o "$3" -s adjacency \
      --threads "$threads" --memory "$2" -q 2>"$dir/err.txt" || { cat "$dir/err.txt" >&2; exit 1; }
    read -r t m < "$dir/time.txt"
    times+=("$t"); rss+=("$m")
  done
  echo "$(printf '%s\n' "${times[@]}" | median) $(printf '%s\n' "${rss[@]}" | median)"
}

fail=0
check() { # description, awk condition
  if awk "BEGIN { exit !($2) }"; then echo "  ok: $1"; else echo "  FAILED: $1"; fail=1; fi
}

printf '%-44s %10s %10s\n' "run ($runs runs each, $threads threads)" "median s" "RSS MiB"
small=$(make_input normal-2000000 --records 2000000)
read -r t2 r2 < <(measure "$small" 1g "$dir/out.bam")
printf '%-44s %10.2f %10.0f\n' "2M normal records, --memory 1g" "$t2" "$(echo "$r2 / 1024" | bc -l)"
check "2M at 1g: peak RSS <= 1 GiB" "$r2 <= 1048576"
if [ "$skip20" = 0 ]; then
  large=$(make_input normal-20000000 --records 20000000)
  read -r t20 r20 < <(measure "$large" 1g "$dir/out.bam")
  printf '%-44s %10.2f %10.0f\n' "20M normal records, --memory 1g" "$t20" "$(echo "$r20 / 1024" | bc -l)"
  check "20M at 1g: peak RSS <= 1 GiB" "$r20 <= 1048576"
  check "20M vs 2M peak RSS within 10% ($(echo "scale=1; 100 * ($r20 - $r2) / $r2" | bc)%)" "$r20 <= 1.10 * $r2 && $r2 <= 1.10 * $r20"
fi

amplicon=$(make_input amplicon --records 1000000 --amplicon-loci 1 --amplicon-templates 1000000 --umi-length 12 --family-mean 5)
read -r ta rsa < <(measure "$amplicon" 512m "$dir/amplicon-512m.bam")
printf '%-44s %10.2f %10.0f\n' "amplicon ($(samtools view -c "$amplicon") records), --memory 512m" "$ta" "$(echo "$rsa / 1024" | bc -l)"
check "amplicon at 512m: peak RSS <= 512 MiB" "$rsa <= 524288"
saved=$runs; runs=1
read -r t8 r8 < <(measure "$amplicon" 8g "$dir/amplicon-8g.bam")
runs=$saved
printf '%-44s %10.2f %10.0f\n' "amplicon, --memory 8g (1 run)" "$t8" "$(echo "$r8 / 1024" | bc -l)"
a=$(samtools view "$dir/amplicon-512m.bam" | md5sum | cut -d' ' -f1)
b=$(samtools view "$dir/amplicon-8g.bam" | md5sum | cut -d' ' -f1)
check "amplicon: records at 512m identical to 8g ($a)" "\"$a\" == \"$b\""
exit $fail
