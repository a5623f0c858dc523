package io.umiflow.assign;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A deliberately plain implementation of GROUPING.md section 4 and the id order of section 5: strings,
 * hash maps and quadratic scans, no packing, no indexes. The optimized assigners must agree with it.
 */
public final class ReferenceAssigner {
  /** One template: its UMI, pair orientation code (2 = R1 reverse, 1 = R2 reverse), and whether R1 is earlier. */
  public record Template(String umi, int orientation, boolean r1Earlier) {}

  /** Molecule per template, /B flags, molecule count. */
  public record Result(int[] molecule, boolean[] bStrand, int count) {}

  private ReferenceAssigner() {}

  /** Assigns by the plain definition (public for the benchmarks, which compare against it). */
  public static Result assign(List<Template> ts, Strategy strategy, int edits, int minUmiLength) {
    int n = ts.size();
    int[] molecule = new int[n];
    boolean[] b = new boolean[n];
    if (strategy == Strategy.PAIRED) {
      List<String> umis = new ArrayList<>();
      for (Template t : ts) {
        String u = t.umi().toUpperCase();
        int dash = u.indexOf('-');
        if (dash < 0 || u.indexOf('-', dash + 1) >= 0) {
          throw new IllegalArgumentException("bad paired umi " + u);
        }
        umis.add(t.r1Earlier() ? u : u.substring(dash + 1) + "-" + u.substring(0, dash));
      }
      Map<String, Integer> ids = adjacency(umis, edits);
      for (int i = 0; i < n; i++) {
        molecule[i] = ids.get(umis.get(i));
        b[i] = !ts.get(i).r1Earlier();
      }
      return new Result(molecule, b, new TreeSet<>(ids.values()).size());
    }
    int base = 0;
    for (int code = 0; code < 4; code++) {
      List<Integer> members = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (ts.get(i).orientation() == code) members.add(i);
      }
      if (members.isEmpty()) continue;
      List<String> umis = new ArrayList<>();
      int min = Integer.MAX_VALUE;
      for (int i : members) min = Math.min(min, ts.get(i).umi().length());
      for (int i : members) {
        String u = ts.get(i).umi().toUpperCase();
        umis.add(minUmiLength > 0 ? u.substring(0, min) : u);
      }
      Map<String, Integer> ids = switch (strategy) {
        case IDENTITY -> identity(umis);
        case EDIT -> edit(umis, edits);
        case ADJACENCY -> adjacency(umis, edits);
        default -> throw new IllegalStateException();
      };
      for (int j = 0; j < members.size(); j++) {
        molecule[members.get(j)] = base + ids.get(umis.get(j));
      }
      base += new TreeSet<>(ids.values()).size();
    }
    return new Result(molecule, b, base);
  }

  static int hamming(String a, String b) {
    if (a.length() != b.length()) return Integer.MAX_VALUE;
    int d = 0;
    for (int i = 0; i < a.length(); i++) if (a.charAt(i) != b.charAt(i)) d++;
    return d;
  }

  static Map<String, Integer> identity(List<String> umis) {
    Map<String, Integer> ids = new HashMap<>();
    int next = 0;
    for (String u : new TreeSet<>(umis)) ids.put(u, next++);
    return ids;
  }

  static Map<String, Integer> edit(List<String> umis, int k) {
    List<String> distinct = new ArrayList<>(new TreeSet<>(umis));
    int u = distinct.size();
    int[] comp = new int[u];
    for (int i = 0; i < u; i++) comp[i] = i;
    boolean changed = true;
    while (changed) { // label propagation to the smallest index in the component: plainly quadratic
      changed = false;
      for (int i = 0; i < u; i++) {
        for (int j = 0; j < u; j++) {
          if (hamming(distinct.get(i), distinct.get(j)) <= k && comp[j] < comp[i]) {
            comp[i] = comp[j];
            changed = true;
          }
        }
      }
    }
    Map<Integer, Integer> idOfComp = new TreeMap<>();
    for (int i = 0; i < u; i++) idOfComp.putIfAbsent(comp[i], idOfComp.size());
    Map<String, Integer> ids = new HashMap<>();
    for (int i = 0; i < u; i++) ids.put(distinct.get(i), idOfComp.get(comp[i]));
    return ids;
  }

  static Map<String, Integer> adjacency(List<String> umis, int k) {
    Map<String, Integer> counts = new TreeMap<>();
    for (String s : umis) counts.merge(s, 1, Integer::sum);
    List<String> order = new ArrayList<>(counts.keySet());
    order.sort((x, y) -> counts.get(x).equals(counts.get(y)) ? x.compareTo(y) : counts.get(y) - counts.get(x));
    Map<String, Integer> ids = new HashMap<>();
    int next = 0;
    for (String root : order) {
      if (ids.containsKey(root)) continue;
      int id = next++;
      ids.put(root, id);
      ArrayDeque<String> queue = new ArrayDeque<>();
      queue.add(root);
      while (!queue.isEmpty()) {
        String x = queue.poll();
        int gate = counts.get(x) / 2 + 1;
        for (String y : order) {
          if (!ids.containsKey(y) && counts.get(y) <= gate && hamming(x, y) <= k) {
            ids.put(y, id);
            queue.add(y);
          }
        }
      }
    }
    return ids;
  }
}
