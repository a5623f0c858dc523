package io.umiflow.assign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random UMI sets (planted errors, skewed counts, ties, lengths 4-40, dashes, non-ACGT letters,
 * orientations) must get the reference's exact molecule ids from every optimized assigner. Seeds are
 * fixed so a failure replays; the seed is in the test name.
 */
class AssignerPropertyTest {
  private static final String BASES = "ACGT";

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Strategy s : Strategy.values()) {
      for (long seed : LongStream.range(1, 61).toArray()) {
        out.add(Arguments.of(s, seed));
      }
    }
    return out.stream();
  }

  private static String randomUmi(Random r, int len) {
    StringBuilder b = new StringBuilder(len);
    for (int i = 0; i < len; i++) b.append(BASES.charAt(r.nextInt(4)));
    return b.toString();
  }

  private static String mutate(Random r, String umi, int errors) {
    char[] c = umi.toCharArray();
    for (int e = 0; e < errors; e++) {
      int p = r.nextInt(c.length);
      if (c[p] == '-') continue;
      c[p] = BASES.charAt(r.nextInt(4));
    }
    return new String(c);
  }

  /** Builds one random partition; the shape of the data depends on the seed. */
  static List<ReferenceAssigner.Template> randomTemplates(Random r, Strategy s, boolean minLength) {
    int mode = r.nextInt(6);
    int len = switch (mode) {
      case 0 -> 4 + r.nextInt(4);
      case 1 -> 8 + r.nextInt(8);
      case 2 -> 30 + r.nextInt(11); // crosses one 32-base word
      default -> 6 + r.nextInt(7);
    };
    boolean dashed = s == Strategy.PAIRED || r.nextInt(4) == 0;
    int sources = mode == 3 ? 300 + r.nextInt(900) : 1 + r.nextInt(40); // mode 3: many distinct, indexed path
    double errorRate = r.nextDouble() * 0.15;
    List<String> truths = new ArrayList<>();
    for (int i = 0; i < sources; i++) {
      String u = randomUmi(r, len);
      if (dashed) {
        int half = len / 2;
        u = u.substring(0, half) + "-" + u.substring(half);
      }
      truths.add(u);
    }
    List<ReferenceAssigner.Template> ts = new ArrayList<>();
    for (String truth : truths) {
      int family = r.nextInt(10) == 0 ? 20 + r.nextInt(80) : 1 + r.nextInt(4);
      for (int k = 0; k < family; k++) {
        String u = mutate(r, truth, r.nextDouble() < errorRate ? 1 + r.nextInt(2) : 0);
        if (mode == 4 && r.nextInt(50) == 0) {
          u = u.substring(0, 1) + "R" + u.substring(2); // a non-ACGT letter: the byte path
        }
        if (r.nextInt(5) == 0) u = u.toLowerCase();
        if (minLength && r.nextInt(3) == 0) u = u + randomUmi(r, 1 + r.nextInt(3));
        ts.add(new ReferenceAssigner.Template(u, r.nextInt(s == Strategy.PAIRED ? 1 : 3), r.nextBoolean()));
      }
    }
    java.util.Collections.shuffle(ts, r);
    return ts;
  }

  @ParameterizedTest(name = "{0} seed {1}")
  @MethodSource("cases")
  void assign_randomSets_identicalToReference(Strategy strategy, long seed) {
    Random r = new Random(seed * 7919 + strategy.ordinal());
    boolean minLength = strategy != Strategy.PAIRED && r.nextInt(4) == 0;
    int edits = strategy == Strategy.IDENTITY ? 0 : (r.nextInt(4) == 0 ? 2 : 1);
    Workspace ws = new Workspace();
    Assignment out = new Assignment();
    UmiSet set = new UmiSet();
    for (int round = 0; round < 3; round++) { // the same workspace serves several calls
      List<ReferenceAssigner.Template> ts = randomTemplates(r, strategy, minLength);
      set.clear();
      for (ReferenceAssigner.Template t : ts) {
        set.add(t.umi(), (t.orientation() & 2) != 0, (t.orientation() & 1) != 0, t.r1Earlier());
      }
      ReferenceAssigner.Result expected = ReferenceAssigner.assign(ts, strategy, edits, minLength ? 1 : 0);
      UmiAssigner.create(strategy, edits, minLength ? 1 : 0).assign(set, ws, out);
      int[] actual = new int[ts.size()];
      boolean[] b = new boolean[ts.size()];
      for (int i = 0; i < ts.size(); i++) {
        actual[i] = out.molecule(i);
        b[i] = out.bStrand(i);
      }
      assertArrayEquals(expected.molecule(), actual, "molecule ids, round " + round);
      assertArrayEquals(expected.bStrand(), b, "strands, round " + round);
      assertEquals(expected.count(), out.moleculeCount());
    }
  }

  /**
   * The out-of-core path assigns a giant group from its distinct (UMI, orientation, R1 end) entries with
   * counts as weights: every template must get the molecule and strand the reference gives it.
   */
  @ParameterizedTest(name = "{0} seed {1}")
  @MethodSource("cases")
  void assign_weightedDistinctEntries_identicalToReference(Strategy strategy, long seed) {
    Random r = new Random(seed * 104729 + strategy.ordinal());
    boolean minLength = strategy != Strategy.PAIRED && r.nextInt(4) == 0;
    int edits = strategy == Strategy.IDENTITY ? 0 : (r.nextInt(4) == 0 ? 2 : 1);
    List<ReferenceAssigner.Template> ts = randomTemplates(r, strategy, minLength);
    java.util.Map<String, Integer> entryOf = new java.util.LinkedHashMap<>();
    int[] entry = new int[ts.size()];
    List<Integer> weights = new ArrayList<>();
    for (int i = 0; i < ts.size(); i++) {
      ReferenceAssigner.Template t = ts.get(i);
      String key = t.umi() + "|" + t.orientation() + "|" + t.r1Earlier();
      Integer e = entryOf.get(key);
      if (e == null) {
        e = entryOf.size();
        entryOf.put(key, e);
        weights.add(0);
      }
      weights.set(e, weights.get(e) + 1);
      entry[i] = e;
    }
    UmiSet set = new UmiSet();
    int e = 0;
    for (String key : entryOf.keySet()) {
      String[] f = key.split("\\|");
      int o = Integer.parseInt(f[1]);
      byte[] umi = f[0].getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      set.add(umi, 0, umi.length, (o & 2) != 0, (o & 1) != 0, Boolean.parseBoolean(f[2]), weights.get(e++));
    }
    Assignment out = new Assignment();
    UmiAssigner.create(strategy, edits, minLength ? 1 : 0).assign(set, new Workspace(), out);
    ReferenceAssigner.Result expected = ReferenceAssigner.assign(ts, strategy, edits, minLength ? 1 : 0);
    for (int i = 0; i < ts.size(); i++) {
      assertEquals(expected.molecule()[i], out.molecule(entry[i]), "template " + i);
      assertEquals(expected.bStrand()[i], out.bStrand(entry[i]), "strand of template " + i);
    }
    assertEquals(expected.count(), out.moleculeCount());
  }
}
