# Shared by the benchmark scripts (sourced): medians and timed runs.

# The median of the numbers on standard input, one per line.
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# One timed run of "command..." that writes "output": removes the output first (untimed), so no tool pays for
# dropping the previous run's file from the page cache inside its time. Prints "seconds rss_kib cpu_seconds"
# (CPU = user + system); stops the script with the command's stderr when it fails. Uses $dir for its files.
once() {
  local out=$1; shift
  rm -f "$out"
  /usr/bin/time -f "%e %M %U %S" -o "$dir/time.txt" "$@" >/dev/null 2>"$dir/err.txt" || { cat "$dir/err.txt" >&2; exit 1; }
  awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$dir/time.txt"
}

# The simulated input of "records" records re-sorted by coordinate (both kept in $dir for later runs); prints
# its path. Installs samtools when missing. Uses $here (the repository) and $dir.
coordinate_input() {
  local records=$1 sim="$dir/normal-$1.bam" input="$dir/coordinate-$1.bam"
  command -v samtools >/dev/null || { apt-get update -qq && apt-get install -y -qq samtools >/dev/null; }
  mkdir -p "$dir"
  [ -f "$sim" ] || "$here/umiflow" simulate -o "$sim" --records "$records" --progress none >&2
  [ -f "$input" ] || samtools sort -@2 -o "$input" "$sim" >&2
  echo "$input"
}
