package dev.gatehouse.frontend.app.cli;

import java.util.Set;
import net.sourceforge.argparse4j.inf.ArgumentParserException;

/**
 * A command that ends with a given exit status. Its message, when there is one, is the single line
 * the command prints on stderr; it carries no stack trace.
 */
public final class CommandExit extends RuntimeException {
  /** The commands that promise exit status 2 for a usage error argparse finds (Dropwizard's is 1). */
  private static final Set<String> USAGE_IS_2 = Set.of(ReplayCommand.NAME);

  private final int status;

  public CommandExit(int status, String message) {
    super(message, null, false, false);
    if (status < 1 || status > 125) {
      throw new IllegalArgumentException("exit status " + status + " is not a failure status");
    }
    this.status = status;
  }

  public int status() {
    return status;
  }

  /**
   * What a command's failure prints, for its {@code onError}: one line on stderr, {@code command: }
   * and what went wrong (the messages of the failure and its causes, a database URL's password
   * replaced by {@code ***}), never a stack trace.
   */
  public static void printOneLine(io.dropwizard.core.cli.Cli cli, String command, Throwable e) {
    String what =
        e instanceof java.nio.file.NoSuchFileException f ? "no such file: " + f.getFile()
            : e instanceof java.nio.file.AccessDeniedException f ? "cannot read " + f.getFile()
            : e instanceof CommandExit && e.getMessage() == null ? null
            : McpProbeCommand.describe(e);
    if (what != null) {
      String line = DatabaseUrls.redact(what).replaceAll("\\s+", " ").strip();
      cli.getStdErr().println(command + ": " + (line.length() <= 400 ? line : line.substring(0, 397) + "..."));
    }
  }

  /**
   * The process's exit status after a command failed with {@code failure}: a {@link CommandExit}'s
   * own, 2 for a command-line argparse rejected when the command promises 2 for usage errors, else
   * 1 (Dropwizard's).
   */
  public static int statusOf(Throwable failure) {
    if (failure instanceof CommandExit exit) {
      return exit.status;
    }
    if (failure instanceof ArgumentParserException e
        && e.getParser() != null
        // Dropwizard's Cli names each command's subparser by this default.
        && USAGE_IS_2.contains(String.valueOf(e.getParser().getDefault("command")))) {
      return 2;
    }
    return 1;
  }
}
