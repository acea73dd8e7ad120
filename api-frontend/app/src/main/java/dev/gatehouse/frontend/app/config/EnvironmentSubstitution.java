package dev.gatehouse.frontend.app.config;

import io.dropwizard.configuration.ConfigurationSourceProvider;
import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import java.io.IOException;
import java.io.InputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration file with its environment variables substituted, strictly: a placeholder
 * without a default ({@code ${NAME}}) whose variable is not set stops the start, naming the
 * variable. Left as it was, {@code ${NAME}} became the value: a probe's agent key read
 * {@code ${PROBE_OPS_BOT_KEY}}, unset, and that text, which anyone reading the file knows, was a
 * working key of an agent allowed everything. {@code ${NAME:-}} is an empty default.
 */
public final class EnvironmentSubstitution implements ConfigurationSourceProvider {
  private static final Pattern UNRESOLVED = Pattern.compile("Cannot resolve variable '([^']{1,200})'");

  private final SubstitutingSourceProvider substituting;

  public EnvironmentSubstitution(ConfigurationSourceProvider file) {
    this.substituting = new SubstitutingSourceProvider(file, new EnvironmentVariableSubstitutor(true));
  }

  @Override
  public InputStream open(String path) throws IOException {
    try {
      return substituting.open(path);
    } catch (RuntimeException e) { // Dropwizard's UndefinedEnvironmentVariableException, or commons-text's
      Matcher unresolved = UNRESOLVED.matcher(String.valueOf(e.getMessage()));
      if (!unresolved.find()) {
        throw e;
      }
      throw new Unset(unresolved.group(1));
    }
  }

  /** A placeholder without a default whose variable is not set: its name (from the file; never a value). */
  public static final class Unset extends IllegalArgumentException {
    Unset(String name) {
      super("the environment variable " + name + " is not set, and ${" + name + "} in the file has no default (set it, or write ${"
          + name + ":-default})", null);
    }
  }
}
