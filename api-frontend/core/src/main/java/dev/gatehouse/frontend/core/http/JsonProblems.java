package dev.gatehouse.frontend.core.http;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a client sent wrong, in the client's terms: the JSON path of the value ({@code
 * pipeline.steps[2].tool}), the JSON type expected there (string, number, integer, boolean,
 * array, object) and the one found. Jackson's own messages name Java types ({@code
 * java.util.ArrayList<dev.gatehouse...PipelineStep>}, {@code McpSchema$JSONRPCRequest}), which
 * mean nothing to a client and tell it how Gatehouse is built; every face rebuilds them here.
 */
public final class JsonProblems {
  /** A fully qualified Java name (two or more dotted parts, or an inner class with '$'). */
  private static final Pattern JAVA_NAME =
      Pattern.compile("\\b[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+\\.[A-Z][A-Za-z0-9_$]*|\\b[A-Z][A-Za-z0-9_]*\\$[A-Za-z0-9_$]+");

  private static final Pattern CHAIN_FIELD = Pattern.compile("\\[\"((?:[^\"\\\\]|\\\\.)*)\"\\]|\\[(\\d+)\\]");
  private static final Pattern TYPE = Pattern.compile("(?:value of type|instance of|reading Enum) `([^`]+)`");
  private static final Pattern FROM = Pattern.compile("from (Object|Array|String|Integer|Floating-point|Boolean|Null) value");

  private JsonProblems() {}

  /** The problem {@code e} found while reading {@code root} into a type, as one sentence. */
  public static String describe(JsonMappingException e, JsonNode root) {
    String path = path(e.getPath());
    String where = path.isEmpty() ? "the body" : "'" + path + "'";
    if (e instanceof UnrecognizedPropertyException u) {
      String known = known(u.getKnownPropertyIds());
      return "'" + path + "' is not a known field" + (known.isEmpty() ? "" : " (known here: " + known + ")");
    }
    if (e instanceof InvalidFormatException f) {
      // A value of another JSON type (5 where text belongs, "5" where a number does) is named by
      // its type, like every other wrong type; a value of the right type in a wrong form by itself.
      String expected = expected(f.getTargetType());
      String found = kind(at(root, e.getPath()));
      String shape = scalar(expected);
      boolean otherType = shape != null && scalar(found) != null && !shape.equals(scalar(found));
      return where + " must be " + expected + ", not " + (otherType ? found : shown(f.getValue()));
    }
    if (e instanceof MismatchedInputException m) {
      String found = kind(at(root, e.getPath()));
      return where + " must be " + expected(m.getTargetType()) + (found == null ? "" : ", not " + found);
    }
    if (e instanceof ValueInstantiationException v) {
      if (v.getCause() instanceof NullPointerException) {
        return where + " must not hold null entries";
      }
      String m = v.getCause() == null ? null : v.getCause().getMessage();
      if (m != null && !looksJava(m)) {
        return where + ": " + m;
      }
      return where + " holds a value that is not accepted";
    }
    return where + " cannot be read";
  }

  /**
   * Rewrites a message some library made from a Jackson error (the MCP SDK's, say), where only the
   * text is left: the path from its reference chain and the expected and found JSON types, or,
   * when it does not look like one, the message as it is if it names no Java type, else {@code
   * fallback}.
   */
  public static String clean(String message, String fallback) {
    if (message == null || message.isBlank()) {
      return fallback;
    }
    String firstLine = message.lines().findFirst().orElse("").strip();
    int chain = message.indexOf("through reference chain:");
    Matcher type = TYPE.matcher(message);
    if (chain >= 0 || type.find()) {
      StringBuilder path = new StringBuilder();
      if (chain >= 0) {
        Matcher f = CHAIN_FIELD.matcher(message.substring(chain));
        while (f.find()) {
          if (f.group(1) != null) {
            path.append(path.isEmpty() ? "" : ".").append(f.group(1));
          } else {
            path.append('[').append(f.group(2)).append(']');
          }
        }
      }
      String where = path.isEmpty() ? "a value" : "'" + path + "'";
      type.reset();
      String expected = type.find() ? expected(type.group(1)) : null;
      Matcher from = FROM.matcher(message);
      String found = from.find() ? foundOf(from.group(1)) : null;
      if (expected == null && found == null) {
        return fallback;
      }
      return where + (expected == null ? " has the wrong type" : " must be " + expected) + (found == null ? "" : ", not " + found);
    }
    return looksJava(firstLine) ? fallback : firstLine;
  }

  /** True when {@code text} names a Java class or package. */
  public static boolean looksJava(String text) {
    return text != null && (JAVA_NAME.matcher(text).find() || text.contains("Exception") || text.contains("JsonToken."));
  }

  /** {@code a.b[2].c} from Jackson's references. */
  public static String path(List<JsonMappingException.Reference> refs) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : refs) {
      if (ref.getFieldName() != null) {
        sb.append(sb.isEmpty() ? "" : ".").append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static JsonNode at(JsonNode root, List<JsonMappingException.Reference> refs) {
    JsonNode node = root;
    for (JsonMappingException.Reference ref : refs) {
      if (node == null) {
        return null;
      }
      if (ref.getFieldName() != null) {
        node = node.get(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        node = node.get(ref.getIndex());
      } else {
        return null;
      }
    }
    return node;
  }

  /** "an object", "a string", ... for the JSON value {@code node}; null when unknown. */
  public static String kind(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return null;
    }
    return switch (node.getNodeType()) {
      case OBJECT, POJO -> "an object";
      case ARRAY -> "an array";
      case STRING -> "a string";
      case NUMBER -> node.isIntegralNumber() ? "an integer" : "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> null;
    };
  }

  /** The JSON scalar type a kind or expectation names (numbers as one), or null when it names none. */
  private static String scalar(String kind) {
    if (kind == null) {
      return null;
    }
    return switch (kind) {
      case "a string" -> "string";
      case "an integer", "a number" -> "number";
      case "a boolean" -> "boolean";
      default -> null;
    };
  }

  private static String foundOf(String jacksonKind) {
    return switch (jacksonKind) {
      case "Object" -> "an object";
      case "Array" -> "an array";
      case "String" -> "a string";
      case "Integer" -> "an integer";
      case "Floating-point" -> "a number";
      case "Boolean" -> "a boolean";
      default -> "null";
    };
  }

  /** The JSON type a Java target type is read from. */
  static String expected(Class<?> type) {
    if (type == null) {
      return "of another type";
    }
    if (CharSequence.class.isAssignableFrom(type) || type == char.class || type == Character.class) {
      return "a string";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class
        || type == Short.class || type == short.class || type == java.math.BigInteger.class) {
      return "an integer";
    }
    if (Number.class.isAssignableFrom(type) || (type.isPrimitive() && type != boolean.class)) {
      return "a number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "a boolean";
    }
    if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "an array";
    }
    if (type.isEnum()) {
      return "one of the allowed values (a string)";
    }
    if (java.time.temporal.Temporal.class.isAssignableFrom(type)) {
      return "an ISO-8601 time such as 2027-01-31T00:00:00Z";
    }
    if (JsonNode.class.isAssignableFrom(type)) {
      return "a JSON value";
    }
    return "an object";
  }

  /** The same, from the type as a Jackson message prints it ({@code java.util.ArrayList<...>}). */
  static String expected(String javaType) {
    String raw = javaType.contains("<") ? javaType.substring(0, javaType.indexOf('<')) : javaType;
    try {
      return expected(Class.forName(raw, false, JsonProblems.class.getClassLoader()));
    } catch (ClassNotFoundException | LinkageError e) {
      return switch (raw) {
        case "int", "long", "short" -> "an integer";
        case "double", "float" -> "a number";
        case "boolean" -> "a boolean";
        default -> "an object";
      };
    }
  }

  private static String known(Collection<Object> ids) {
    if (ids == null) {
      return "";
    }
    return String.join(", ", ids.stream().map(String::valueOf).sorted().toList());
  }

  private static String shown(Object value) {
    if (value == null) {
      return "null";
    }
    String s = value.toString();
    if (s.length() > 60) {
      s = s.substring(0, 60) + "…";
    }
    return value instanceof CharSequence ? "'" + s + "'" : s;
  }

  private static final Pattern DUPLICATE = Pattern.compile("^Duplicate (?:field|Object property) '(.{0,64})");

  private static final Pattern NESTING = Pattern.compile("nesting depth \\(\\d+\\) exceeds the maximum allowed \\((\\d+)");
  private static final Pattern NUMBER_LENGTH = Pattern.compile("Number value length \\(\\d+\\) exceeds the maximum allowed \\((\\d+)");

  /**
   * What a parser's own limit refused, said of the body ({@code "nests deeper than 1000 levels"}),
   * so a client is not told its well-formed JSON is not JSON; null for any other error.
   */
  public static String limitExceeded(Exception e) {
    if (!(e instanceof com.fasterxml.jackson.core.exc.StreamConstraintsException s) || s.getOriginalMessage() == null) {
      return null;
    }
    java.util.regex.Matcher m = NESTING.matcher(s.getOriginalMessage());
    if (m.find()) {
      return "nests deeper than " + m.group(1) + " levels";
    }
    m = NUMBER_LENGTH.matcher(s.getOriginalMessage());
    if (m.find()) {
      return "holds a number longer than " + m.group(1) + " characters";
    }
    return "exceeds a limit of the JSON reader";
  }

  /** The member a parser refused because the body gives it twice (a strict parser's error); null otherwise. */
  public static String duplicateKey(Exception e) {
    if (!(e instanceof com.fasterxml.jackson.core.JacksonException j) || j.getOriginalMessage() == null) {
      return null;
    }
    java.util.regex.Matcher m = DUPLICATE.matcher(j.getOriginalMessage());
    return m.find() ? m.group(1).replaceAll("'$", "") : null;
  }
}
