package io.umiflow.bench;

import io.umiflow.assign.Assignment;
import io.umiflow.assign.ReferenceAssigner;
import io.umiflow.assign.Strategy;
import io.umiflow.assign.UmiAssigner;
import io.umiflow.assign.UmiSet;
import io.umiflow.assign.Workspace;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Assigning one position group whose templates carry {@code sources} true 12-base UMIs (families of about
 * three, 1% per-base errors, so more distinct UMIs are observed than sources), per strategy, with edits 1:
 * the optimized assigner against the plain quadratic reference. Paired UMIs are two 6-base halves.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx6g"})
public class AssignBenchmark {
  /** Builds the templates of one group. */
  static List<ReferenceAssigner.Template> group(Strategy strategy, int sources, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<ReferenceAssigner.Template> ts = new ArrayList<>();
    String bases = "ACGT";
    for (int s = 0; s < sources; s++) {
      char[] truth = new char[12];
      for (int i = 0; i < 12; i++) truth[i] = bases.charAt(rnd.nextInt(4));
      int family = 1 + rnd.nextInt(5);
      for (int f = 0; f < family; f++) {
        char[] u = truth.clone();
        for (int i = 0; i < 12; i++) {
          if (rnd.nextInt(100) == 0) u[i] = bases.charAt((bases.indexOf(u[i]) + 1 + rnd.nextInt(3)) % 4);
        }
        String umi = strategy == Strategy.PAIRED ? new String(u, 0, 6) + "-" + new String(u, 6, 6) : new String(u);
        ts.add(new ReferenceAssigner.Template(umi, strategy == Strategy.PAIRED ? 0 : 1, true));
      }
    }
    return ts;
  }

  /** The optimized assigner over groups from 10 to a million sources. */
  @State(Scope.Thread)
  public static class Optimized {
    @Param({"IDENTITY", "EDIT", "ADJACENCY", "PAIRED"})
    public String strategy;

    @Param({"10", "1000", "100000", "1000000"})
    public int sources;

    final UmiSet set = new UmiSet();
    final Workspace ws = new Workspace();
    final Assignment out = new Assignment();
    UmiAssigner assigner;

    @Setup(Level.Trial)
    public void setup() {
      Strategy s = Strategy.valueOf(strategy);
      assigner = UmiAssigner.create(s, s == Strategy.IDENTITY ? 0 : 1, 0);
      for (ReferenceAssigner.Template t : group(s, sources, 17)) {
        set.add(t.umi(), (t.orientation() & 2) != 0, (t.orientation() & 1) != 0, t.r1Earlier());
      }
    }
  }

  /** The plain reference: quadratic, so only small groups. */
  @State(Scope.Thread)
  public static class Plain {
    @Param({"IDENTITY", "EDIT", "ADJACENCY", "PAIRED"})
    public String strategy;

    @Param({"10", "1000"})
    public int sources;

    List<ReferenceAssigner.Template> templates;
    Strategy s;

    @Setup(Level.Trial)
    public void setup() {
      s = Strategy.valueOf(strategy);
      templates = group(s, sources, 17);
    }
  }

  @Benchmark
  public int optimized(Optimized st) {
    st.assigner.assign(st.set, st.ws, st.out);
    return st.out.moleculeCount();
  }

  @Benchmark
  public int plain(Plain st) {
    return ReferenceAssigner.assign(st.templates, st.s, st.s == Strategy.IDENTITY ? 0 : 1, 0).count();
  }
}
