package io.umiflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which subcommands picocli is given: the one run, or all when the arguments need them. */
class MainTest {
  @Test
  void aWorkingCommand_getsOnlyItself() {
    assertEquals(List.of(GroupCommand.class), Main.subcommandsFor(new String[] {"group", "-i", "x.bam"}));
    assertEquals(List.of(CohortCommand.class), Main.subcommandsFor(new String[] {"cohort"}));
  }

  @Test
  void usageHelpCompletionAndMisspellings_getThemAll() {
    int all = Main.subcommandsFor(new String[0]).size();
    assertEquals(7, all);
    for (String[] args : new String[][] {{"--help"}, {"help", "group"}, {"completion", "bash"}, {"grop"}, {"-V"}}) {
      assertEquals(all, Main.subcommandsFor(args).size(), String.join(" ", args));
    }
  }
}
