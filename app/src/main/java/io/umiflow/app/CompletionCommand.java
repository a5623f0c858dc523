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
        "  source <(umiflow completion bash)                       this shell",
        "  umiflow completion bash > ~/.local/share/bash-completion/completions/umiflow   every new shell",
        "  autoload -U bashcompinit && bashcompinit && source <(umiflow completion zsh)   zsh"})
final class CompletionCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @CommandLine.Parameters(arity = "0..1", paramLabel = "SHELL", defaultValue = "bash",
      description = "bash (default) or zsh (the same script, which zsh runs through bashcompinit).")
  String shell;

  @Override
  public Integer call() {
    if (!shell.equals("bash") && !shell.equals("zsh")) {
      spec.commandLine().getErr().println("umiflow completion: no completion for '" + shell + "'; bash or zsh");
      return 2;
    }
    CommandLine root = spec.root().commandLine();
    spec.commandLine().getOut().print(AutoComplete.bash("umiflow", root));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
