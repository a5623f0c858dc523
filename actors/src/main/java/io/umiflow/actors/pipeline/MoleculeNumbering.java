package io.umiflow.actors.pipeline;

import java.util.HashMap;
import java.util.Map;

/**
 * Hands out molecule ids across the whole input: batches report their molecule counts in any order, and
 * each gets its first id as soon as every earlier batch has reported. Used by both output ends.
 */
final class MoleculeNumbering {
  private final Map<Long, Writer.Counted> waiting = new HashMap<>();
  private long nextBatch;
  private long nextId;

  /** Records a count and answers every batch whose first id is now known. */
  void counted(Writer.Counted c) {
    waiting.put(c.seq(), c);
    Writer.Counted next;
    while ((next = waiting.remove(nextBatch)) != null) {
      next.replyTo().tell(new Processor.Numbered(next.seq(), nextId));
      nextId += next.molecules();
      nextBatch++;
    }
  }
}
