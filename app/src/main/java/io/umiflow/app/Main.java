package io.umiflow.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code umiflow} command: dispatches to its subcommands. */
@Command(
    name = "umiflow",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    description = "Groups sequencing reads into source molecules by position and UMI, within a hard memory budget.",
    subcommands = {GroupCommand.class, SortCommand.class, SimulateCommand.class, ClusterCommand.class, CohortCommand.class,
        CompletionCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Runs the CLI and exits with its status. */
  public static void main(String[] args) {
    EarlySystem.startFor(args); // Akka starts while the options are parsed
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit status (tests call this). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setOverwrittenOptionsAllowed(true); // the last of a repeated option wins, as in most tools
    cli.setParameterExceptionHandler((ex, a) -> {
      ex.getCommandLine().getErr().println("umiflow: " + ex.getMessage());
      ex.getCommandLine().getErr().println("Run with --help for usage.");
      return 2;
    });
    return cli.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
  }

  /** The version (recorded in @PG lines), the commit it was built from, the runtime and the deflaters found. */
  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return BuildInfo.versionLines();
    }
  }
}
