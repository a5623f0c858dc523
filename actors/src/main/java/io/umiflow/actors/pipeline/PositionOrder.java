package io.umiflow.actors.pipeline;

import io.umiflow.codec.BamHeader;
import io.umiflow.codec.BamRecord;
import io.umiflow.codec.InputFormatException;
import io.umiflow.codec.PositionKey;

/**
 * The input's order check: template position keys must never go backwards (template-coordinate order),
 * and a key greater than the previous one begins a new position group. Remembers the last key to name
 * the locus in messages.
 */
final class PositionOrder {
  /** Where a template falls relative to the one before it. */
  enum Step { FIRST, SAME_GROUP, NEW_GROUP }

  private final BamHeader header;
  private final String source;
  private final PositionKey previous = new PositionKey();
  private final PositionKey closed = new PositionKey();
  private boolean started;

  PositionOrder(BamHeader header, String source) {
    this.header = header;
    this.source = source;
  }

  /**
   * Places the template with key {@code key}, whose first record is number {@code record} and lies at
   * {@code at} in {@code data}; fails when it goes backwards.
   */
  Step next(PositionKey key, long record, byte[] data, int at) throws InputFormatException {
    if (!started) {
      started = true;
      previous.copyFrom(key);
      return Step.FIRST;
    }
    int c = previous.compareTo(key);
    if (c > 0) {
      throw new InputFormatException(source + ": record " + record + " (read " + BamRecord.readName(data, at)
          + ") is out of template-coordinate order: " + key.describe(header) + " comes after "
          + previous.describe(header) + "; sort the input with samtools sort --template-coordinate");
    }
    if (c == 0) {
      return Step.SAME_GROUP;
    }
    closed.copyFrom(previous);
    previous.copyFrom(key);
    return Step.NEW_GROUP;
  }

  /** True once a template has been placed. */
  boolean started() {
    return started;
  }

  /** The key of the current (last) position group. */
  PositionKey current() {
    return previous;
  }

  /** After {@link Step#NEW_GROUP}: the key of the group that closed. */
  PositionKey closed() {
    return closed;
  }

  /** The current group's locus for messages, or "the start". */
  String locus() {
    return started ? previous.describe(header) : "the start";
  }
}
