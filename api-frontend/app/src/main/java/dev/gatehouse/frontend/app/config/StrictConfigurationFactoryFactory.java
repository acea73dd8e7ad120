package dev.gatehouse.frontend.app.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.ConfigurationFactory;
import io.dropwizard.configuration.ConfigurationParsingException;
import io.dropwizard.configuration.ConfigurationSourceProvider;
import io.dropwizard.configuration.DefaultConfigurationFactoryFactory;
import io.dropwizard.configuration.YamlConfigurationFactory;
import jakarta.validation.Validator;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Gatehouse's configuration file as Dropwizard does, with two differences that every command
 * reading it gets ({@code server}, {@code worker}, {@code check}, {@code dev}, {@code db}, {@code
 * registry}, {@code secrets}, {@code replay}):
 *
 * <ul>
 *   <li>a key given twice in one mapping is refused (as registry files refuse it), where Jackson
 *       would keep the last one silently;
 *   <li>an error is one line that names the file and where the problem is (the setting's path, or
 *       the line and column) but never quotes what was read there: Dropwizard's own messages quote
 *       the value or the YAML line, which for a wrong file given as the configuration (a master key
 *       file, an env file) is a secret.
 * </ul>
 */
public class StrictConfigurationFactoryFactory<T> extends DefaultConfigurationFactoryFactory<T> {

  @Override
  public ConfigurationFactory<T> create(Class<T> klass, Validator validator, ObjectMapper objectMapper, String propertyPrefix) {
    return new Strict<>(klass, validator, configureObjectMapper(objectMapper.copy()), propertyPrefix);
  }

  /** A configuration file that does not read or does not validate, said in one line without its values. */
  public static final class FileError extends ConfigurationException {
    private static final long serialVersionUID = 1L;
    private final String path;

    FileError(String path, Collection<String> errors) {
      super(path, errors);
      this.path = path;
    }

    @Override
    public String getMessage() {
      List<String> errors = new ArrayList<>(getErrors());
      return path + (errors.size() == 1 ? " has an error: " : " has " + errors.size() + " errors: ") + String.join("; ", errors);
    }
  }

  /** Dropwizard's "Did you mean?:" list after an unrecognized field: "      - name" (Dropwizard 5; "* name" before). */
  private static final Pattern SUGGESTION = Pattern.compile("(?m)^\\s*[-*]\\s*(\\S+)\\s*$");

  private static final class Strict<T> extends YamlConfigurationFactory<T> {
    Strict(Class<T> klass, Validator validator, ObjectMapper mapper, String propertyPrefix) {
      super(klass, validator, mapper, propertyPrefix);
    }

    @Override
    protected JsonParser createParser(InputStream input) throws IOException {
      JsonParser parser = super.createParser(input);
      parser.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
      return parser;
    }

    @Override
    public T build(ConfigurationSourceProvider provider, String path) throws IOException, ConfigurationException {
      boolean[] tooLarge = new boolean[1];
      ConfigurationSourceProvider bounded = p -> new Bounded(provider.open(p), tooLarge);
      try {
        return buildWhole(bounded, path);
      } catch (IOException | ConfigurationException | RuntimeException e) {
        if (tooLarge[0]) {
          throw new FileError(path, List.of("it is larger than " + MAX_BYTES / (1024 * 1024) + " MiB, the most a configuration file may be"));
        }
        throw e;
      }
    }

    private T buildWhole(ConfigurationSourceProvider provider, String path) throws IOException, ConfigurationException {
      try {
        return super.build(provider, path);
      } catch (EnvironmentSubstitution.Unset e) {
        throw new FileError(path, List.of(e.getMessage()));
      } catch (ConfigurationParsingException e) {
        throw new FileError(path, List.of(headline(first(e), e.getCause())));
      } catch (ConfigurationException e) {
        // Validation: "database.url must not be empty", which names settings, not values.
        List<String> errors = new ArrayList<>();
        e.getErrors().forEach(error -> errors.add(oneLine(error)));
        throw new FileError(path, errors);
      } catch (JsonProcessingException e) {
        // Not one Dropwizard words itself (e.g. the tree could not be built): where, not what.
        throw new FileError(path, List.of("cannot read it" + where(e)));
      }
    }
  }

  /** The most a configuration file may hold: a link to {@code /dev/zero} filled the heap before anything said why. */
  static final int MAX_BYTES = 16 * 1024 * 1024;

  /** A configuration file's stream that ends in an error once it has given {@link #MAX_BYTES}, and says so. */
  private static final class Bounded extends java.io.FilterInputStream {
    private final boolean[] tooLarge;
    private long read;

    Bounded(InputStream in, boolean[] tooLarge) {
      super(in);
      this.tooLarge = tooLarge;
    }

    private void count(long n) throws IOException {
      read += Math.max(0, n);
      if (read > MAX_BYTES) {
        tooLarge[0] = true;
        throw new IOException("the configuration file is larger than " + MAX_BYTES + " bytes");
      }
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      count(b < 0 ? 0 : 1);
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      count(n);
      return n;
    }
  }

  private static String first(ConfigurationException e) {
    return e.getErrors().isEmpty() ? String.valueOf(e.getMessage()) : e.getErrors().iterator().next();
  }

  /**
   * Dropwizard's error, "Failed to parse configuration at: a.b; DETAIL" or "Malformed YAML at line:
   * 2, column: 11; DETAIL", without its detail (where Jackson and SnakeYAML quote the value or the
   * line) but with an unrecognized field's suggestions, which are names.
   */
  static String headline(String error, Throwable cause) {
    String firstLine = error.strip().lines().findFirst().orElse("");
    int semicolon = firstLine.indexOf("; ");
    String headline = (semicolon < 0 ? firstLine : firstLine.substring(0, semicolon)).strip();
    if (!headline.contains(" at: ") && !headline.contains(" at line: ")) {
      if (cause instanceof MismatchedInputException m && m.getPath().isEmpty()) {
        headline += ": the file is not a YAML mapping of settings";
      } else if (cause instanceof JsonProcessingException p) {
        headline += where(p);
      }
    }
    if (headline.startsWith("Malformed YAML") && cause != null && String.valueOf(cause.getMessage()).startsWith("Duplicate field")) {
      String field = String.valueOf(cause.getMessage()).replaceFirst("(?s)^Duplicate field '([^'\\n]{0,100})'.*", "$1");
      headline += ": the key '" + field + "' is given twice";
    }
    List<String> suggestions = new ArrayList<>();
    Matcher suggestion = SUGGESTION.matcher(error.contains("Did you mean") ? error.substring(error.indexOf("Did you mean")) : "");
    while (suggestion.find() && suggestions.size() < 10) {
      suggestions.add(suggestion.group(1));
    }
    return suggestions.isEmpty() ? headline : headline + " (did you mean: " + String.join(", ", suggestions) + "?)";
  }

  private static String where(JsonProcessingException e) {
    var location = e.getLocation();
    return location == null || location.getLineNr() < 1
        ? ""
        : " at line: " + location.getLineNr() + ", column: " + location.getColumnNr();
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s+", " ").strip();
  }
}
