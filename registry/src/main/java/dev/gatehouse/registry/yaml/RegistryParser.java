package dev.gatehouse.registry.yaml;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.TreeTraversingParser;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.Texts;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Reads a registry file (YAML, or JSON) into a {@link RegistryFile}, strictly: a field the format
 * does not have is an error rather than ignored, so a misspelt setting cannot silently fall back to
 * its default. Text that no store can hold (a NUL character, a lone surrogate) is refused. Errors say where, by the field's path in the file ({@code tools[0].retry.maxAttempts}),
 * and what was expected there, in the file's terms (a list, a whole number, the fields allowed),
 * never in Java's. Whether the entries make sense is {@link RegistryChecker}'s business.
 */
public final class RegistryParser {
  // A key given twice is an error, not last-wins (which of two values counts would be a guess);
  // a fraction where a whole number belongs (maxAttempts: 2.5) is an error, not rounded down.
  /**
   * The most a registry file may hold, in characters: the YAML reader's own default (3 MB) is below
   * what an export of a large deployment writes (thousands of tools with their schemas), and a
   * backup that cannot be applied back is no backup. Over HTTP the body is bounded first by {@code
   * limits.maxRequestBody}.
   */
  public static final int MAX_CHARS = 64 * 1024 * 1024;

  private static final ObjectMapper YAML =
      new ObjectMapper(
          YAMLFactory.builder()
              .loaderOptions(loaderOptions())
              .enable(com.fasterxml.jackson.dataformat.yaml.YAMLParser.Feature.EMPTY_STRING_AS_NULL) // as new YAMLFactory() has it
              .build())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
  private static final RegistryFile EMPTY = new RegistryFile(null, null, null, null);

  private RegistryParser() {}

  private static org.yaml.snakeyaml.LoaderOptions loaderOptions() {
    org.yaml.snakeyaml.LoaderOptions options = new org.yaml.snakeyaml.LoaderOptions();
    options.setCodePointLimit(MAX_CHARS);
    return options;
  }

  /** The file as written; throws {@code invalid_registry} saying where and what is wrong. */
  public static RegistryFile parse(InputStream in) {
    RegistryFile file;
    try {
      byte[] bytes = in.readAllBytes();
      plain(bytes);
      JsonNode tree = YAML.readTree(bytes);
      if (tree == null || tree.isMissingNode()) {
        throw notYaml("No content to map due to end-of-input");
      }
      if (tree.isNull()) {
        return EMPTY;
      }
      // Text PostgreSQL cannot store (a "\0" escape) or that is not Unicode is refused here, where its path is known.
      String problem = Texts.firstProblem(tree, "registry file");
      if (problem != null) {
        throw new RegistryException("invalid_registry", problem);
      }
      file = YAML.treeToValue(tree, RegistryFile.class);
    } catch (StreamReadException e) {
      // A value the YAML reads as a number that no number holds (.inf, .nan), found where it is.
      JsonParser p = e.getProcessor();
      if (p != null
          && (p instanceof TreeTraversingParser || String.valueOf(e.getOriginalMessage()).startsWith("Malformed numeric value"))) {
        throw new RegistryException("invalid_registry", where(p) + " is not a number this field can hold");
      }
      throw notYaml(e.getOriginalMessage());
    } catch (JsonMappingException e) {
      if (e.getCause() instanceof InputCoercionException) {
        // A number too big for its field (weight: 99999999999999999999): valid YAML, wrong value.
        throw new RegistryException(
            "invalid_registry", path(e.getPath()) + " is out of range (too large a number for this field)");
      }
      if (e.getCause() instanceof StreamReadException && !e.getPath().isEmpty()) {
        // The YAML was read; a value in it is not one its field can hold (.inf where a price goes).
        throw new RegistryException("invalid_registry", path(e.getPath()) + " is not a number this field can hold");
      }
      if (e.getCause() instanceof StreamReadException || e.getOriginalMessage().contains("end-of-input")) {
        throw notYaml(e.getOriginalMessage());
      }
      throw wrongShape(e);
    } catch (IOException e) {
      throw notYaml(e.getMessage());
    }
    // A document with nothing in it ("---") declares nothing.
    return file == null ? EMPTY : file;
  }

  /**
   * Refuses anchors ({@code &name}) and aliases ({@code *name}), and a second document: the YAML
   * reader gives an alias as the text of its name (an {@code inputSchema} would be stored with
   * {@code "s"} where the file meant the anchored schema), an expanded alias is how a small file
   * grows into a huge one, and of several documents it reads the first and drops the rest. A
   * registry file writes each value out, in one document.
   */
  private static void plain(byte[] bytes) throws IOException {
    try (JsonParser p = YAML.getFactory().createParser(bytes)) {
      com.fasterxml.jackson.dataformat.yaml.YAMLParser yaml = (com.fasterxml.jackson.dataformat.yaml.YAMLParser) p;
      int depth = 0;
      int roots = 0;
      for (com.fasterxml.jackson.core.JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        if (yaml.isCurrentAlias() || yaml.getObjectId() != null) {
          throw new RegistryException(
              "invalid_registry", where(p) + " uses a YAML anchor or alias (&name, *name); write the value out instead");
        }
        if (depth == 0 && ++roots > 1) {
          throw new RegistryException("invalid_registry", "a registry file is one YAML document; this one has more (---)");
        }
        depth += t.isStructStart() ? 1 : t.isStructEnd() ? -1 : 0;
      }
    }
  }

  /** Where the tree parser is, as a field path ({@code models[0].prices.input}). */
  private static String where(JsonParser p) {
    StringBuilder path = new StringBuilder();
    for (JsonStreamContext c = p.getParsingContext(); c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inObject() && c.getCurrentName() == null) {
        continue; // a mapping that begins here (an anchored list item): it is where its parent's step is
      }
      String step = c.inArray() ? "[" + c.getCurrentIndex() + "]" : c.getCurrentName();
      path.insert(0, c.inObject() && !c.getParent().inRoot() ? "." + step : step);
    }
    return path.isEmpty() ? "registry file" : path.toString();
  }

  /**
   * The parser's first line, without the Java class names the YAML reader puts before a wrapped
   * cause ({@code java.io.CharConversionException: Invalid UTF-8 start byte 0xff}).
   */
  private static RegistryException notYaml(String message) {
    String first = message == null ? "" : message.lines().findFirst().orElse("");
    boolean notUtf8 = first.contains("CharConversionException");
    first = JAVA_CLASS_PREFIX.matcher(first).replaceAll("");
    // The YAML reader's events and limits, as someone editing YAML would say them.
    first = READER_EVENT.matcher(first).replaceAll(m -> switch (m.group(1)) {
      case "SequenceStart" -> "a list";
      case "MappingStart" -> "a mapping";
      case "Scalar" -> "a value";
      default -> "something else";
    });
    first = READER_LIMIT.matcher(first).replaceAll("($1)");
    first = first.replaceAll("For input string: (\"[^\"]*\")(?: under radix \\d+)?", "$1 is not a number");
    if (first.chars().filter(c -> c == ')').count() > first.chars().filter(c -> c == '(').count() && first.endsWith(")")) {
      first = first.substring(0, first.length() - 1); // the reader's own message closes what it never opened
    }
    return new RegistryException(
        "invalid_registry", "registry file is not valid YAML: " + (notUtf8 ? "it is not UTF-8 text: " : "") + first);
  }

  private static final java.util.regex.Pattern READER_EVENT =
      java.util.regex.Pattern.compile("<(?:[a-z_][\\w$]*\\.)+([A-Z]\\w*?)Event\\([^)]*\\)>");
  private static final java.util.regex.Pattern READER_LIMIT =
      java.util.regex.Pattern.compile("\\((\\d+), from `[^`]*`\\)");
  private static final java.util.regex.Pattern JAVA_CLASS_PREFIX =
      java.util.regex.Pattern.compile("(?:[a-z_][\\w$]*\\.)+[A-Z][\\w$]*: ");

  /**
   * Valid YAML that does not fit the format. Jackson's own messages name Java classes and
   * collection types, which mean nothing to someone editing YAML, so they are rebuilt here.
   */
  private static RegistryException wrongShape(JsonMappingException e) {
    String where = path(e.getPath());
    String problem;
    if (e instanceof UnrecognizedPropertyException u) {
      problem = "is not a known field (expected " + or(fields(u.getReferringClass(), u.getKnownPropertyIds())) + ")";
    } else if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
      problem = "must be " + kind(m.getTargetType()) + found(m);
    } else if (e instanceof ValueInstantiationException v && v.getCause() instanceof NullPointerException) {
      // The records that refuse nulls do so for list entries (List.copyOf).
      problem = "must not hold empty entries";
    } else {
      problem = "cannot be read here";
    }
    return new RegistryException("invalid_registry", where + " " + problem);
  }

  /** {@code tools[0].http.headers}, or "registry file" for the file itself. */
  private static String path(List<JsonMappingException.Reference> references) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference r : references) {
      if (r.getFieldName() != null) {
        path.append(path.isEmpty() ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        path.append('[').append(r.getIndex()).append(']');
      }
    }
    return path.isEmpty() ? "registry file" : path.toString();
  }

  /** A record's fields in the order the format documents them; else Jackson's known names. */
  private static List<String> fields(Class<?> type, Collection<Object> known) {
    if (type != null && type.isRecord()) {
      return Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).toList();
    }
    return known == null ? List.of() : known.stream().map(String::valueOf).sorted().toList();
  }

  private static String kind(Class<?> type) {
    if (type.isRecord()) {
      return "a mapping (fields: " + String.join(", ", fields(type, null)) + ")";
    }
    if (CharSequence.class.isAssignableFrom(type)) {
      return "text";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "a whole number";
    }
    if (Number.class.isAssignableFrom(type) || type.isPrimitive() && type != boolean.class) {
      return "a number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "a list";
    }
    if (Map.class.isAssignableFrom(type)) {
      return "a mapping";
    }
    return "something else";
  }

  /** ", not 'VALUE'" when Jackson kept the value (a scalar of the wrong kind); the parser is closed by now. */
  private static String found(MismatchedInputException e) {
    return e instanceof InvalidFormatException f && f.getValue() != null ? ", not '" + f.getValue() + "'" : "";
  }

  private static String or(List<String> names) {
    if (names.size() < 2) {
      return String.join("", names);
    }
    return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
  }
}
