package io.umiflow.actors;

import com.carrotsearch.hppc.IntLongHashMap;

/**
 * What one batch contributed to the job's metrics: records kept and filtered per fgbio category, and
 * the sizes of the families it formed. The writer adds them up in input order.
 */
final class BatchMetrics {
  long recordsOut;
  long accepted;
  long discardedNonPf;
  long discardedPoorAlignment;
  long discardedNsInUmi;
  long discardedUmisTooShort;
  long molecules;
  long families;
  /** family size -> number of families of that size */
  final IntLongHashMap familySizes = new IntLongHashMap();

  /** Counts {@code records} primary records of a template the classifier put in {@code category}. */
  void count(int category, int records) {
    switch (category) {
      case TemplateClassifier.KEEP -> accepted += records;
      case TemplateClassifier.NON_PF -> discardedNonPf += records;
      case TemplateClassifier.POOR_ALIGNMENT -> discardedPoorAlignment += records;
      case TemplateClassifier.NS_IN_UMI -> discardedNsInUmi += records;
      default -> discardedUmisTooShort += records;
    }
  }

  void addFamily(int size) {
    familySizes.addTo(size, 1);
    families++;
  }

  void add(BatchMetrics o) {
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
  }
}
