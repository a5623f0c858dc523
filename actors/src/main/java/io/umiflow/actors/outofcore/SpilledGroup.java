package io.umiflow.actors.outofcore;

import java.nio.file.Path;

/**
 * A position group too large for memory, as the grouper hands it to a processor: its templates in a spill
 * file, in input order ({@code recordBytes} of records). It takes batch number {@code seq} in the output
 * order, like any batch, and holds {@code credit} bytes of the flow account, reserved for its out-of-core
 * grouping, until written.
 */
public record SpilledGroup(long seq, Path file, long templates, long records, long recordBytes, String locus, long credit) {

  /** The same group with {@code credit} reserved. */
  public SpilledGroup withCredit(long credit) {
    return new SpilledGroup(seq, file, templates, records, recordBytes, locus, credit);
  }
}
