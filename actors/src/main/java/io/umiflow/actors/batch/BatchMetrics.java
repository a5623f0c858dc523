package io.umiflow.actors.batch;

import com.carrotsearch.hppc.IntLongHashMap;

/**
 * What one batch contributed to the job's metrics (a plain holder the stages fill; internal): records kept and
 * filtered per fgbio category, and the sizes of the families and position groups it formed. The writer adds
 * them up in input order.
 */
public final class BatchMetrics {
  public long recordsOut;
  public long accepted;
  public long discardedNonPf;
  public long discardedPoorAlignment;
  public long discardedNsInUmi;
  public long discardedUmisTooShort;
  public long molecules;
  public long families;
  /** family size -> number of families of that size */
  public final IntLongHashMap familySizes = new IntLongHashMap();
  /** kept templates of a position group -> number of position groups of that size (groups keeping none left out) */
  public final IntLongHashMap groupSizes = new IntLongHashMap();

  /** Counts {@code records} primary records of a template the classifier put in {@code category}. */
  public void count(int category, int records) {
    switch (category) {
      case TemplateClassifier.KEEP -> accepted += records;
      case TemplateClassifier.NON_PF -> discardedNonPf += records;
      case TemplateClassifier.POOR_ALIGNMENT -> discardedPoorAlignment += records;
      case TemplateClassifier.NS_IN_UMI -> discardedNsInUmi += records;
      default -> discardedUmisTooShort += records;
    }
  }

  public void addFamily(int size) {
    familySizes.addTo(size, 1);
    families++;
  }

  /** A position group kept {@code templates} templates (none: not counted). */
  public void addGroup(long templates) {
    if (templates > 0) {
      groupSizes.addTo((int) Math.min(Integer.MAX_VALUE, templates), 1);
    }
  }

  public void add(BatchMetrics o) {
    recordsOut += o.recordsOut;
    accepted += o.accepted;
    discardedNonPf += o.discardedNonPf;
    discardedPoorAlignment += o.discardedPoorAlignment;
    discardedNsInUmi += o.discardedNsInUmi;
    discardedUmisTooShort += o.discardedUmisTooShort;
    molecules += o.molecules;
    families += o.families;
    for (com.carrotsearch.hppc.cursors.IntLongCursor c : o.familySizes) {
      familySizes.addTo(c.key, c.value);
    }
    for (com.carrotsearch.hppc.cursors.IntLongCursor c : o.groupSizes) {
      groupSizes.addTo(c.key, c.value);
    }
  }
}
