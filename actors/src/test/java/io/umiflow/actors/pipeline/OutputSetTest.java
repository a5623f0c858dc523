package io.umiflow.actors.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run's outputs appear together, the first created last, or none of them does. */
class OutputSetTest {
  @TempDir
  Path dir;

  private List<String> names() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void commit_renamesAll_hiddenUntilThen() throws IOException {
    OutputSet set = new OutputSet();
    try (OutputStream bam = set.create(dir.resolve("out.bam"))) {
      bam.write(1);
    }
    set.write(dir.resolve("f.txt"), "families\n");
    List<String> before = names();
    assertEquals(2, before.size());
    assertTrue(before.stream().allMatch(n -> n.startsWith(".") && n.endsWith(OutputSet.SUFFIX)), before.toString());
    set.commit();
    assertEquals(List.of("f.txt", "out.bam"), names());
    assertEquals("families\n", Files.readString(dir.resolve("f.txt")));
  }

  @Test
  void commit_oneRenameFails_leavesNoneOfThem() throws IOException {
    OutputSet set = new OutputSet();
    set.create(dir.resolve("out.bam")).close();
    set.write(dir.resolve("f.txt"), "f\n");
    set.write(dir.resolve("g.txt"), "g\n");
    // f.txt cannot be replaced: a folder with a file in it took its name meanwhile; g.txt (created last) is
    // renamed before it, and must go again
    Files.createDirectory(dir.resolve("f.txt"));
    Files.writeString(dir.resolve("f.txt").resolve("x"), "x");
    assertThrows(IOException.class, set::commit);
    assertEquals(List.of("f.txt"), names(), "only the folder that was in the way is left");
  }

  @Test
  void abort_deletesTheTemporaryFiles() throws IOException {
    OutputSet set = new OutputSet();
    set.create(dir.resolve("out.bam")).close();
    set.write(dir.resolve("f.txt"), "f\n");
    set.abort();
    assertEquals(List.of(), names());
  }

  @Test
  void create_inAMissingFolder_failsSayingWhich() {
    IOException e = assertThrows(IOException.class, () -> new OutputSet().create(dir.resolve("no/out.bam")));
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("no")));
  }
}
