#!/usr/bin/env bash
# Whole-process benchmark: umiflow group against the samtools recompression floor on the same input, in the
# same run. Prints, per configuration, the median wall time and peak RSS of N runs and the ratio to the floor.
# The two tools' runs alternate, and each run's output is removed before it starts (untimed). With --scaling it
# also times umiflow at --threads 1 against --threads N (alternating) and prints the speed-up.
#
#   bench/scripts/group-vs-samtools.sh [--records 2000000] [--runs 3] [--threads 2] [--memory 1g]
#                                      [--levels "1 5"] [--strategy adjacency] [--amplicon] [--scaling] [--dir DIR]
#
# Makes the input with umiflow simulate (kept in DIR for later runs); installs samtools when missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
records=2000000 runs=3 threads=2 memory=1g levels="1 5" strategy=adjacency amplicon=0 scaling=0 dir=/tmp/umiflow-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --levels) levels=$2; shift 2 ;;
    --strategy) strategy=$2; shift 2 ;;
    --amplicon) amplicon=1; shift ;;
    --scaling) scaling=1; shift ;;
    --dir) dir=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v samtools >/dev/null || { apt-get update -qq && apt-get install -y -qq samtools >/dev/null; }
mkdir -p "$dir"
if [ "$amplicon" = 1 ]; then
  input="$dir/amplicon-$records.bam"
  sim=(--records "$records" --amplicon-loci 1 --amplicon-templates 1000000 --umi-length 12 --family-mean 5)
else
  input="$dir/normal-$records.bam"
  sim=(--records "$records")
fi
[ -f "$input" ] || "$here/umiflow" simulate -o "$input" "${sim[@]}"
n=$(samtools view -c "$input")
echo "input $input: $n records, $(du -m "$input" | cut -f1) MB; $(nproc) cores; runs $runs"

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# one timed run: removes the output first (untimed), so neither tool pays for dropping the previous run's
# file from the page cache (rename over it, or truncate it) inside its time
once() { # output, command... -> "seconds rss_kib"
  local out=$1; shift
  rm -f "$out"
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" >/dev/null 2>"$dir/err.txt" || { cat "$dir/err.txt" >&2; exit 1; }
  cat "$dir/time.txt"
}

printf '%-34s %10s %12s %10s %10s\n' "configuration" "median s" "records/s" "x floor" "RSS MiB"
for level in $levels; do
  ft=(); fr=(); ut=(); ur=()
  for _ in $(seq "$runs"); do # alternate the two, so load on a shared machine hits both alike
    read -r t m < <(once "$dir/floor.bam" samtools view -b -@"$threads" --output-fmt-option level="$level" -o "$dir/floor.bam" "$input")
    ft+=("$t"); fr+=("$m")
    read -r t m < <(once "$dir/out.bam" "$here/umiflow" group -i "$input" -o "$dir/out.bam" -s "$strategy" --threads "$threads" --memory "$memory" --compression-level "$level" -q)
    ut+=("$t"); ur+=("$m")
  done
  floor=$(printf '%s\n' "${ft[@]}" | median); frss=$(printf '%s\n' "${fr[@]}" | median)
  t=$(printf '%s\n' "${ut[@]}" | median); r=$(printf '%s\n' "${ur[@]}" | median)
  printf '%-34s %10.2f %12.0f %10s %10.0f\n' "samtools view -b -@$threads level $level" "$floor" "$(echo "$n / $floor" | bc -l)" "1.00" "$(echo "$frss / 1024" | bc -l)"
  printf '%-34s %10.2f %12.0f %10.2f %10.0f\n' "umiflow group t$threads $memory level $level" "$t" "$(echo "$n / $t" | bc -l)" "$(echo "$t / $floor" | bc -l)" "$(echo "$r / 1024" | bc -l)"
done

if [ "$scaling" = 1 ]; then
  level=${levels%% *}
  t1=(); tn=()
  for _ in $(seq "$runs"); do
    read -r t _ < <(once "$dir/out.bam" "$here/umiflow" group -i "$input" -o "$dir/out.bam" -s "$strategy" --threads 1 --memory "$memory" --compression-level "$level" -q)
    t1+=("$t")
    read -r t _ < <(once "$dir/out.bam" "$here/umiflow" group -i "$input" -o "$dir/out.bam" -s "$strategy" --threads "$threads" --memory "$memory" --compression-level "$level" -q)
    tn+=("$t")
  done
  a=$(printf '%s\n' "${t1[@]}" | median); b=$(printf '%s\n' "${tn[@]}" | median)
  printf 'umiflow group level %s: --threads 1 %.2f s, --threads %s %.2f s, speed-up %.2fx\n' "$level" "$a" "$threads" "$b" "$(echo "$a / $b" | bc -l)"
fi
