package io.umiflow.app;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code umiflow} command: dispatches to its subcommands. */
@Command(
    name = "umiflow",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    description = "Groups sequencing reads into source molecules by position and UMI, within a hard memory budget.")
public final class Main implements Runnable {
  /** The subcommands, in the order the usage lists them. */
  private static final List<Class<?>> SUBCOMMANDS = List.of(GroupCommand.class, SortCommand.class,
      SimulateCommand.class, ClusterCommand.class, CohortCommand.class, CompletionCommand.class,
      CommandLine.HelpCommand.class);

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Runs the CLI and exits with its status. */
  public static void main(String[] args) {
    libraryLoggingAside();
    EarlySystem.startFor(args); // Akka starts while the options are parsed
    System.exit(run(args));
  }

  /**
   * Intel GKL (the level-1 deflater) logs through commons-logging, whose 1.3 release hands it to slf4j: probing
   * it while the options are checked then raced the early system's slf4j start, and slf4j printed its
   * three-line "substitute logger" warning. Its warnings go to stderr through commons-logging's own simple
   * logger instead (a setting given with -D wins).
   */
  static void libraryLoggingAside() {
    setIfAbsent("org.apache.commons.logging.LogFactory", "org.apache.commons.logging.impl.LogFactoryImpl");
    setIfAbsent("org.apache.commons.logging.Log", "org.apache.commons.logging.impl.SimpleLog");
    setIfAbsent("org.apache.commons.logging.simplelog.defaultlog", "warn");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  /** Runs the CLI and returns its exit status (tests call this). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    for (Class<?> c : subcommandsFor(args)) {
      cli.addSubcommand(c);
    }
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setOverwrittenOptionsAllowed(true); // the last of a repeated option wins, as in most tools
    cli.setParameterExceptionHandler((ex, a) -> {
      ex.getCommandLine().getErr().println("umiflow: " + ex.getMessage());
      ex.getCommandLine().getErr().println("Run with --help for usage.");
      return 2;
    });
    return cli.execute(args);
  }

  /**
   * The subcommands picocli needs for {@code args}: only the one named first when it is one of them (picocli
   * builds each one's model by reflection, 40-60 ms of CPU at every start for the ones not run), else all
   * (usage, {@code help}, {@code completion}, a misspelt command).
   */
  static List<Class<?>> subcommandsFor(String[] args) {
    if (args.length > 0) {
      for (Class<?> c : SUBCOMMANDS) {
        String name = c.getAnnotation(Command.class).name();
        if (name.equals(args[0]) && !name.equals("help") && !name.equals("completion")) {
          return List.of(c);
        }
      }
    }
    return SUBCOMMANDS;
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
