#!/usr/bin/python3
"""Makes a BAM whose aligned bases match a reference, and that reference, from a simulated BAM.

`umiflow simulate` draws read bases at random; encoded as CRAM against any reference, every base would be a
mismatch, a worst case that no real data has (CRAM stores a read by its differences from the reference).
This writes a random FASTA for the input's @SQ lines and copies each mapped read's aligned bases from it
(soft clips and unmapped reads keep theirs), so that CRAM input can be measured on realistic terms.

usage: reference-matched.py in.bam out.bam ref.fa [seed]
"""
import random
import sys

import pysam


def main():
    src, dst, fasta = sys.argv[1:4]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    rnd = random.Random(seed)
    with pysam.AlignmentFile(src, "rb") as bam:
        refs = {}
        with open(fasta, "w") as fa:
            for name, length in zip(bam.references, bam.lengths):
                seq = "".join(rnd.choices("ACGT", k=length))
                refs[name] = seq
                fa.write(">" + name + "\n")
                for i in range(0, length, 60):
                    fa.write(seq[i:i + 60] + "\n")
        with pysam.AlignmentFile(dst, "wb", template=bam) as out:
            for r in bam:
                if not r.is_unmapped and r.query_sequence and r.cigartuples:
                    ref = refs[r.reference_name]
                    bases = list(r.query_sequence)
                    qual = r.query_qualities
                    q = 0
                    p = r.reference_start
                    for op, n in r.cigartuples:
                        if op in (0, 7, 8):  # M = X: the reference's bases
                            bases[q:q + n] = ref[p:p + n]
                            q += n
                            p += n
                        elif op in (1, 4):  # I, S: the read's own
                            q += n
                        elif op in (2, 3):  # D, N
                            p += n
                    r.query_sequence = "".join(bases)
                    r.query_qualities = qual
                out.write(r)
    pysam.faidx(fasta)


if __name__ == "__main__":
    main()
