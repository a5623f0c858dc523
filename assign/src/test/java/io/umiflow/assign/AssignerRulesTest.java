package io.umiflow.assign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AssignerRulesTest {
  private final Workspace ws = new Workspace();
  private final Assignment out = new Assignment();

  private Assignment run(Strategy s, int edits, int minLen, String... umisWithCounts) {
    UmiSet set = new UmiSet();
    for (String spec : umisWithCounts) {
      String[] p = spec.split("x");
      int count = p.length > 1 ? Integer.parseInt(p[1]) : 1;
      for (int i = 0; i < count; i++) set.add(p[0], false, true, true);
    }
    UmiAssigner.create(s, edits, minLen).assign(set, ws, out);
    return out;
  }

  @Test
  void adjacency_childAtGate_joinsParent() {
    Assignment a = run(Strategy.ADJACENCY, 1, 0, "AAAAx10", "AAATx6");
    assertEquals(1, a.moleculeCount());
  }

  @Test
  void adjacency_childAboveGate_staysApart() {
    Assignment a = run(Strategy.ADJACENCY, 1, 0, "AAAAx10", "AAATx7");
    assertEquals(2, a.moleculeCount());
    assertEquals(0, a.molecule(0)); // the larger count roots first
    assertEquals(1, a.molecule(10));
  }

  @Test
  void adjacency_tiedCounts_smallerUmiIsRoot() {
    // counts 1 and 1: gate is 1, so they join; the root is the smaller UMI, id 0 either way
    Assignment a = run(Strategy.ADJACENCY, 1, 0, "CCCC", "ACCC", "TTTTx2", "TTTAx2");
    assertEquals(2, a.moleculeCount());
    assertEquals(a.molecule(0), a.molecule(1));
    assertEquals(a.molecule(2), a.molecule(4));
    assertEquals(0, a.molecule(2)); // count 2 roots before count 1
  }

  @Test
  void adjacency_gateUsesExpandedNodeNotRoot() {
    // AAAA(100) -> AAAT(40) within gate 51; AAAT -> AATT(21) is within gate of AAAT (21) but not a neighbour of AAAA
    Assignment a = run(Strategy.ADJACENCY, 1, 0, "AAAAx100", "AAATx40", "AATTx21", "ATTTx11");
    assertEquals(1, a.moleculeCount());
    Assignment b = run(Strategy.ADJACENCY, 1, 0, "AAAAx100", "AAATx40", "AATTx22");
    assertEquals(2, b.moleculeCount());
  }

  @Test
  void edit_chain_isOneMolecule() {
    Assignment a = run(Strategy.EDIT, 1, 0, "AAAA", "AAAT", "AATT", "ATTT", "GGGG");
    assertEquals(2, a.moleculeCount());
    assertEquals(0, a.molecule(0));
    assertEquals(0, a.molecule(3));
    assertEquals(1, a.molecule(4));
  }

  @Test
  void identity_idsFollowUmiOrder() {
    Assignment a = run(Strategy.IDENTITY, 0, 0, "TTTT", "AAAA", "CCCC", "AAAA");
    assertEquals(3, a.moleculeCount());
    assertEquals(2, a.molecule(0));
    assertEquals(0, a.molecule(1));
    assertEquals(1, a.molecule(2));
    assertEquals(0, a.molecule(3));
  }

  @Test
  void orientation_differentPairOrientations_neverJoin() {
    UmiSet set = new UmiSet();
    set.add("ACGT", false, true, true);
    set.add("ACGT", true, false, false);
    UmiAssigner.create(Strategy.ADJACENCY, 1, 0).assign(set, ws, out);
    assertEquals(2, out.moleculeCount());
    assertNotEquals(out.molecule(0), out.molecule(1));
  }

  @Test
  void paired_halvesSwapWhenR1IsLater_andStrandsAreAandB() {
    UmiSet set = new UmiSet();
    set.add("AAAA-CCCC", false, true, true);   // R1 earlier: genomic order AAAA-CCCC, /A
    set.add("CCCC-AAAA", true, false, false);  // R1 later: swapped to AAAA-CCCC, /B
    set.add("AAAA-CCCA", false, true, true);   // one edit away, lower count: joins, /A
    set.add("CCCC-AAAA", false, true, true);   // R1 earlier with the halves the other way: another molecule
    UmiAssigner.create(Strategy.PAIRED, 1, 0).assign(set, ws, out);
    assertEquals(out.molecule(0), out.molecule(1));
    assertEquals(out.molecule(0), out.molecule(2));
    assertNotEquals(out.molecule(0), out.molecule(3));
    assertFalse(out.bStrand(0));
    assertTrue(out.bStrand(1));
    assertFalse(out.bStrand(2));
  }

  @Test
  void paired_umiWithoutDash_failsNamingTemplate() {
    UmiSet set = new UmiSet();
    set.add("AAAA-CCCC", false, true, true);
    set.add("AAAACCCC", false, true, true);
    UmiAssignmentException e = assertThrows(UmiAssignmentException.class,
        () -> UmiAssigner.create(Strategy.PAIRED, 1, 0).assign(set, ws, out));
    assertEquals(1, e.template());
  }

  @Test
  void minUmiLength_truncatesToShortestInSubgroup() {
    Assignment a = run(Strategy.ADJACENCY, 0, 4, "ACGTAx3", "ACGTC", "ACGT");
    assertEquals(1, a.moleculeCount());
  }

  @Test
  void mixedLengths_withoutMinLength_rejected() {
    UmiAssignmentException e = assertThrows(UmiAssignmentException.class,
        () -> run(Strategy.ADJACENCY, 1, 0, "ACGT", "ACGTA"));
    assertTrue(e.getMessage().contains("different lengths"));
  }

  @Test
  void pairedWithMinUmiLength_rejected() {
    assertThrows(IllegalArgumentException.class, () -> UmiAssigner.create(Strategy.PAIRED, 1, 3));
  }
}
