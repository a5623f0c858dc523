#!/usr/bin/env bash
# What SAM and CRAM input cost against BAM input: umiflow group on the same records stored three ways, in
# the same run, alternating. Prints the median wall time, CPU seconds and peak RSS of N runs per format and
# the ratio to BAM; for context, samtools' own CRAM-to-BAM conversion (-@THREADS, level 1) of the same file.
#
#   bench/scripts/input-formats.sh [--records 2000000] [--runs 3] [--threads 2] [--memory 1g] [--dir DIR]
#
# The records come from umiflow simulate; their aligned bases are then copied from a random reference
# (reference-matched.py, python3-pysam) so that the CRAM is encoded as real data is, by its differences from
# the reference, and not as a worst case where every base differs. Installs samtools and pysam when missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
records=2000000 runs=3 threads=2 memory=1g dir=/tmp/umiflow-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if ! command -v samtools >/dev/null || ! /usr/bin/python3 -c 'import pysam' 2>/dev/null; then
  apt-get update -qq && apt-get install -y -qq samtools python3-pysam >/dev/null
fi
mkdir -p "$dir"
sim="$dir/normal-$records.bam"
[ -f "$sim" ] || "$here/umiflow" simulate -o "$sim" --records "$records" --progress none
bam="$dir/formats-$records.bam" ref="$dir/formats-$records.fa"
if [ ! -f "$bam" ]; then
  /usr/bin/python3 "$here/bench/scripts/reference-matched.py" "$sim" "$bam" "$ref"
fi
[ -f "${bam%.bam}.sam" ] || samtools view -@"$threads" -h -o "${bam%.bam}.sam" "$bam"
[ -f "${bam%.bam}.cram" ] || samtools view -@"$threads" -C -T "$ref" -o "${bam%.bam}.cram" "$bam"
echo "input: $(samtools view -c "$bam") records; BAM $(du -m "$bam" | cut -f1) MB, SAM $(du -m "${bam%.bam}.sam" | cut -f1) MB," \
  "CRAM $(du -m "${bam%.bam}.cram" | cut -f1) MB; $(nproc) cores; runs $runs; --threads $threads --memory $memory"

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
once() { # output, command... -> "seconds cpu_seconds rss_kib"
  local out=$1; shift
  rm -f "$out"
  /usr/bin/time -f "%e %U %S %M" -o "$dir/time.txt" "$@" >/dev/null 2>"$dir/err.txt" || { cat "$dir/err.txt" >&2; exit 1; }
  awk '{ print $1, $2 + $3, $4 }' "$dir/time.txt"
}

declare -A wall cpu rss
formats="bam sam cram samtools-cram"
for _ in $(seq "$runs"); do
  for f in $formats; do
    case "$f" in
      samtools-cram) cmd=(samtools view -b -@"$threads" --output-fmt-option level=1 -T "$ref" -o "$dir/out.bam" "${bam%.bam}.cram") ;;
      *) cmd=("$here/umiflow" group -i "${bam%.bam}.$f" -o "$dir/out.bam" -s adjacency --threads "$threads"
              --memory "$memory" --reference "$ref" -q) ;;
    esac
    read -r t c m < <(once "$dir/out.bam" "${cmd[@]}")
    wall[$f]+="$t "; cpu[$f]+="$c "; rss[$f]+="$m "
  done
done
base=$(echo "${wall[bam]}" | tr ' ' '\n' | grep . | median)
printf '%-28s %10s %10s %10s %10s\n' "input" "median s" "CPU s" "x BAM" "RSS MiB"
for f in $formats; do
  t=$(echo "${wall[$f]}" | tr ' ' '\n' | grep . | median)
  c=$(echo "${cpu[$f]}" | tr ' ' '\n' | grep . | median)
  m=$(echo "${rss[$f]}" | tr ' ' '\n' | grep . | median)
  label=$f; [ "$f" = samtools-cram ] && label="samtools view CRAM->BAM"; [ "$f" != samtools-cram ] && label="umiflow group, $f input"
  printf '%-28s %10.2f %10.2f %10.2f %10.0f\n' "$label" "$t" "$c" "$(echo "$t / $base" | bc -l)" "$(echo "$m / 1024" | bc -l)"
done
