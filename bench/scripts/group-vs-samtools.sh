#!/usr/bin/env bash
# Whole-process benchmark: umiflow group against the samtools recompression floor on the same input, in the
# same run. Prints, per input size and level, the median wall time, CPU seconds (user + system) and peak RSS
# of N runs, and umiflow's wall and CPU ratios to the floor. The two tools' runs alternate, and each run's
# output is removed before it starts (untimed). With --scaling it also times umiflow at --threads 1 against
# --threads N (alternating) on the largest input and prints the speed-up, and the most it could be with the CPU
# the N-thread run used.
#
#   bench/scripts/group-vs-samtools.sh [--records "1000 2000000 20000000"] [--runs 3] [--threads 2] [--memory 1g]
#                                      [--levels "1 5"] [--strategy adjacency] [--amplicon] [--scaling] [--dir DIR]
#
# Makes each input with umiflow simulate (kept in DIR for later runs); installs samtools when missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=lib.sh
. "$here/bench/scripts/lib.sh"
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
input_for() { # records -> path of the simulated input (made when missing)
  local r=$1 input sim
  if [ "$amplicon" = 1 ]; then
    input="$dir/amplicon-$r.bam"
    sim=(--records "$r" --amplicon-loci 1 --amplicon-templates 1000000 --umi-length 12 --family-mean 5)
  else
    input="$dir/normal-$r.bam"
    sim=(--records "$r")
  fi
  [ -f "$input" ] || "$here/umiflow" simulate -o "$input" "${sim[@]}" --progress none >&2
  echo "$input"
}

echo "$(nproc) cores; runs $runs; medians"
printf '%-12s %-34s %9s %9s %12s %8s %8s %8s\n' "records" "configuration" "wall s" "CPU s" "records/s" "x wall" "x CPU" "RSS MiB"
input=""
for r in $records; do
  input=$(input_for "$r")
  n=$(samtools view -c "$input")
  for level in $levels; do
    ft=(); fr=(); fc=(); ut=(); ur=(); uc=()
    for _ in $(seq "$runs"); do # alternate the two, so load on a shared machine hits both alike
      read -r t m c < <(once "$dir/floor.bam" samtools view -b -@"$threads" --output-fmt-option level="$level" -o "$dir/floor.bam" "$input")
      ft+=("$t"); fr+=("$m"); fc+=("$c")
      read -r t m c < <(once "$dir/out.bam" "$here/umiflow" group -i "$input" -o "$dir/out.bam" -s "$strategy" --threads "$threads" --memory "$memory" --compression-level "$level" -q)
      ut+=("$t"); ur+=("$m"); uc+=("$c")
    done
    floor=$(printf '%s\n' "${ft[@]}" | median); frss=$(printf '%s\n' "${fr[@]}" | median); fcpu=$(printf '%s\n' "${fc[@]}" | median)
    t=$(printf '%s\n' "${ut[@]}" | median); rss=$(printf '%s\n' "${ur[@]}" | median); cpu=$(printf '%s\n' "${uc[@]}" | median)
    printf '%-12s %-34s %9.2f %9.2f %12.0f %8s %8s %8.0f\n' "$n" "samtools view -b -@$threads level $level" "$floor" "$fcpu" \
      "$(echo "$n / $floor" | bc -l)" "1.00" "1.00" "$(echo "$frss / 1024" | bc -l)"
    printf '%-12s %-34s %9.2f %9.2f %12.0f %8.2f %8.2f %8.0f\n' "$n" "umiflow group t$threads $memory level $level" "$t" "$cpu" \
      "$(echo "$n / $t" | bc -l)" "$(echo "$t / $floor" | bc -l)" "$(echo "$cpu / ($fcpu + 0.001)" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
  done
done

if [ "$scaling" = 1 ]; then # on the largest input
  # On N cores the N-thread run cannot take less wall time than its CPU seconds / N, so the speed-up is at most
  # t1 * N / CPU(N threads): the "bound". What the CPU beyond the workers' own is (JIT compilers, the file
  # I/O threads, GC, start-up), bench/scripts/thread-cpu.py shows for one run.
  level=${levels%% *}
  t1=(); c1=(); tn=(); cn=()
  for _ in $(seq "$runs"); do
    read -r t _ c < <(once "$dir/out.bam" "$here/umiflow" group -i "$input" -o "$dir/out.bam" -s "$strategy" --threads 1 --memory "$memory" --compression-level "$level" -q)
    t1+=("$t"); c1+=("$c")
    read -r t _ c < <(once "$dir/out.bam" "$here/umiflow" group -i "$input" -o "$dir/out.bam" -s "$strategy" --threads "$threads" --memory "$memory" --compression-level "$level" -q)
    tn+=("$t"); cn+=("$c")
  done
  a=$(printf '%s\n' "${t1[@]}" | median); b=$(printf '%s\n' "${tn[@]}" | median)
  ca=$(printf '%s\n' "${c1[@]}" | median); cb=$(printf '%s\n' "${cn[@]}" | median)
  printf 'umiflow group %s level %s: --threads 1 %.2f s (%.2f CPU s), --threads %s %.2f s (%.2f CPU s), speed-up %.2fx' \
    "$(basename "$input")" "$level" "$a" "$ca" "$threads" "$b" "$cb" "$(echo "$a / $b" | bc -l)"
  if [ "$(nproc)" -le "$threads" ]; then # the bound holds only when the N threads have no spare core beside them
    printf ' (at most %.2fx with that CPU on %s cores)' "$(echo "$a * $(nproc) / $cb" | bc -l)" "$(nproc)"
  fi
  echo
fi
