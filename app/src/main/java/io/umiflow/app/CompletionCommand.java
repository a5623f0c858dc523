package io.umiflow.app;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code umiflow completion}: prints the bash completion script picocli generates from the commands and
 * options themselves, so it never drifts from them.
 */
@Command(name = "completion",
    description = {"Prints a bash completion script for umiflow (zsh too, after bashcompinit).",
        "",
        "  source <(umiflow completion)                       this shell",
        "  umiflow completion > ~/.local/share/bash-completion/completions/umiflow   every new shell"})
final class CompletionCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    CommandLine root = spec.root().commandLine();
    spec.commandLine().getOut().print(AutoComplete.bash("umiflow", root));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
