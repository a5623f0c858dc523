package io.umiflow.actors.outofcore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spill folders say whose they are, and what a killed process left is removed by the next job. */
class SpillFolderTest {
  @TempDir
  Path dir;

  /** The pid of a process that has ended. */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    long pid = p.pid();
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    return pid;
  }

  private Path folder(String name) throws Exception {
    Path f = Files.createDirectory(dir.resolve(name));
    Files.writeString(f.resolve("run-0.bgzf"), "x");
    return f;
  }

  @Test
  void removeStale_onlyDeadProcessesOfThisHost() throws Exception {
    String host = SpillFolder.host();
    Path dead = folder(SpillFolder.PREFIX + host + "-" + deadPid() + "-123");
    Path alive = folder(SpillFolder.PREFIX + host + "-" + ProcessHandle.current().pid() + "-456");
    Path otherHost = folder(SpillFolder.PREFIX + "elsewhere.example-" + deadPid() + "-789");
    Path oldStyle = folder(SpillFolder.PREFIX + "12345");
    assertEquals(1, SpillFolder.removeStale(dir));
    assertFalse(Files.exists(dead), "a dead process's folder goes");
    assertTrue(Files.exists(alive) && Files.exists(otherHost) && Files.exists(oldStyle));
  }

  @Test
  void newFile_namesTheFolderByHostAndProcess() throws Exception {
    SpillFolder s = new SpillFolder(dir);
    Path f = s.newFile("run");
    String name = f.getParent().getFileName().toString();
    assertTrue(name.startsWith(SpillFolder.PREFIX + SpillFolder.host() + "-" + ProcessHandle.current().pid() + "-"),
        name);
    assertEquals(0, SpillFolder.removeStale(dir), "its own live folder stays");
    s.deleteAll();
    assertFalse(Files.exists(f.getParent()));
  }
}
