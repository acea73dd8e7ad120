package dev.gatehouse.policies.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaId;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Checks a call's arguments against the tool's {@code inputSchema} (JSON Schema 2020-12 unless
 * the schema names another draft), with the networknt validator. Schemas are compiled once and
 * kept; they are never allowed to fetch anything: a {@code $ref} to a URL is not followed. A
 * schema whose {@code $ref}s loop is refused (an MCP server's tools bring their own schemas).
 */
public final class ArgumentSchemaPolicy {
  public static final String NAME = "argument-schema";
  private static final int MAX_CACHED = 5_000;
  /**
   * The most subschemas a schema may expand to through its {@code $ref}s, each counted every time
   * it is referred to: the validator may visit each of them for one call (every branch of an
   * {@code anyOf}, say). A 1.6 KB schema whose definitions each referred three times to the next,
   * sixteen deep, passed every other check and took the process's whole heap.
   */
  public static final int MAX_EXPANDED = 10_000;

  private static final JsonSchemaFactory FACTORY =
      JsonSchemaFactory.builder(JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012))
          // First in line: anything but the validator's own bundled meta-schemas is refused, so a
          // tool's schema cannot make the gateway fetch a URL or read a file.
          .schemaLoaders(loaders -> loaders.values(list -> list.add(0, ArgumentSchemaPolicy::refuseRemote)))
          .build();
  private final Map<String, JsonSchema> compiled = new ConcurrentHashMap<>();
  /**
   * The same compiled schemas by the instance of the schema they were compiled from: a tool's
   * schema is one object for as long as the registry's entry is unchanged, so a call finds its
   * schema without writing it out as text first.
   */
  private final Map<Instance, JsonSchema> byInstance = new ConcurrentHashMap<>();

  /** A schema object by identity (JsonNode's own equals and hashCode walk the whole tree). */
  private record Instance(JsonNode node) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Instance other && other.node == node;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(node);
    }
  }

  public Decision check(String tool, JsonNode schema, JsonNode args) {
    if (schema == null || schema.isNull() || schema.isEmpty()) {
      return Decision.allow(NAME);
    }
    JsonSchema compiledSchema;
    try {
      compiledSchema = bounded(() -> compile(schema));
    } catch (RuntimeException e) {
      return Decision.deny(NAME, DenialCodes.INVALID_ARGUMENTS, "the inputSchema of " + tool + " cannot be used: " + reason(e));
    }
    Set<ValidationMessage> errors;
    try {
      JsonNode instance = args == null || args.isNull() ? JsonNodeFactory.instance.objectNode() : args;
      errors = bounded(() -> compiledSchema.validate(instance));
    } catch (RuntimeException e) {
      return Decision.deny(NAME, DenialCodes.INVALID_ARGUMENTS, "the inputSchema of " + tool + " cannot be used: " + reason(e));
    }
    if (errors.isEmpty()) {
      return Decision.allow(NAME);
    }
    String why = errors.stream().limit(3).map(ValidationMessage::getMessage).sorted().collect(Collectors.joining("; "));
    return Decision.deny(NAME, DenialCodes.INVALID_ARGUMENTS, "arguments of " + tool + " do not match its inputSchema: " + why);
  }

  /**
   * Null when {@code schema} is a JSON Schema calls can be checked against; else what is wrong with
   * it, in one line: it does not conform to the meta-schema of its draft (2020-12 unless its {@code
   * $schema} names another: {@code "type": "strnig"}, {@code "required": true}), names a draft
   * that is not bundled, or has a {@code $ref} that is not followed. The registry file and the
   * admin API refuse such a tool, which every call would otherwise fail.
   */
  public static String problem(JsonNode schema) {
    if (schema == null || schema.isNull() || schema.isEmpty()) {
      return null;
    }
    String tooBig = tooBig(schema);
    if (tooBig != null) {
      return tooBig;
    }
    try {
      String draft = schema.path("$schema").isTextual() ? schema.get("$schema").textValue() : SchemaId.V202012;
      Set<ValidationMessage> errors = bounded(() -> FACTORY.getSchema(SchemaLocation.of(draft)).validate(schema));
      if (!errors.isEmpty()) {
        return errors.stream().map(ValidationMessage::getMessage).sorted().limit(3).collect(Collectors.joining("; "));
      }
      // A $ref that loops without descending ({"$ref": "#"}) shows on the first instance checked.
      bounded(() -> FACTORY.getSchema(schema).validate(JsonNodeFactory.instance.objectNode()));
      return null;
    } catch (RuntimeException e) {
      return reason(e);
    }
  }

  /**
   * Runs the validator, whose every {@code $ref} and nesting level is a recursion: a schema that
   * refers to itself without descending into the instance ({@code {"$ref": "#"}}, a loop of
   * definitions) recurses until the stack is gone. That is a refusal of the schema here, not an
   * error that kills the worker's thread: the validator holds no state a failed run leaves behind.
   */
  private static <T> T bounded(java.util.function.Supplier<T> validation) {
    try {
      return validation.get();
    } catch (StackOverflowError e) {
      throw new IllegalArgumentException("the schema refers to itself without end (a $ref loop) or nests too deep");
    }
  }

  private JsonSchema compile(JsonNode schema) {
    Instance instance = new Instance(schema);
    JsonSchema s = byInstance.get(instance);
    if (s != null) {
      return s;
    }
    String key = schema.toString();
    s = compiled.get(key);
    if (s == null) {
      String tooBig = tooBig(schema); // (a stored tool's written before the check, or an MCP server's)
      if (tooBig != null) {
        throw new IllegalArgumentException(tooBig);
      }
      s = FACTORY.getSchema(schema);
      if (compiled.size() >= MAX_CACHED) {
        compiled.clear();
      }
      compiled.put(key, s);
    }
    if (byInstance.size() >= MAX_CACHED) {
      byInstance.clear();
    }
    byInstance.put(instance, s);
    return s;
  }

  /** Why {@code schema} expands too far through its {@code $ref}s; null when it does not. */
  static String tooBig(JsonNode schema) {
    return expanded(schema) > MAX_EXPANDED
        ? "it expands to more than " + MAX_EXPANDED + " subschemas through its $refs (each counted every time it is referred to)"
        : null;
  }

  /**
   * How many subschemas {@code root} holds with every {@code $ref} (and {@code $dynamicRef}) to a
   * subschema of its own counted as that subschema, every time; at most {@link #MAX_EXPANDED} + 1
   * (it stops counting there). Local references are followed: {@code #}, JSON pointers, anchors
   * and embedded resources' {@code $id}s; others are not (the validator follows none of them). A
   * loop counts once per turn (the validator refuses one that does not descend).
   */
  static long expanded(JsonNode root) {
    Map<String, JsonNode> named = new java.util.HashMap<>();
    collectNames(root, named, 0);
    return expanded(root, root, named, new java.util.IdentityHashMap<>(), new java.util.IdentityHashMap<>(), 0);
  }

  private static long expanded(
      JsonNode node, JsonNode root, Map<String, JsonNode> named, Map<JsonNode, Long> memo, Map<JsonNode, Boolean> open, int depth) {
    if (!node.isContainerNode()) {
      return 1;
    }
    Long known = memo.get(node);
    if (known != null) {
      return known;
    }
    if (open.containsKey(node) || depth > 256) {
      return 1;
    }
    open.put(node, Boolean.TRUE);
    long total = 1;
    for (JsonNode child : node) {
      total = Math.min(MAX_EXPANDED + 1L, total + expanded(child, root, named, memo, open, depth + 1));
    }
    if (node.isObject()) {
      for (String keyword : List.of("$ref", "$dynamicRef")) {
        JsonNode ref = node.get(keyword);
        JsonNode target = ref != null && ref.isTextual() ? target(root, ref.textValue(), named) : null;
        if (target != null) {
          total = Math.min(MAX_EXPANDED + 1L, total + expanded(target, root, named, memo, open, depth + 1));
        }
      }
    }
    open.remove(node);
    memo.put(node, total);
    return total;
  }

  /** The anchors and {@code $id}s of {@code node}'s subschemas, by name. */
  private static void collectNames(JsonNode node, Map<String, JsonNode> named, int depth) {
    if (!node.isContainerNode() || depth > 256) {
      return;
    }
    if (node.isObject()) {
      for (String keyword : List.of("$anchor", "$dynamicAnchor")) {
        if (node.path(keyword).isTextual()) {
          named.putIfAbsent("#" + node.get(keyword).textValue(), node);
        }
      }
      if (node.path("$id").isTextual()) {
        String id = node.get("$id").textValue();
        named.putIfAbsent(id, node);
        int hash = id.indexOf('#');
        named.putIfAbsent(hash < 0 ? id : id.substring(0, hash), node);
      }
    }
    for (JsonNode child : node) {
      collectNames(child, named, depth + 1);
    }
  }

  /** The subschema {@code ref} names within {@code root}, or null when it is not one of its own. */
  private static JsonNode target(JsonNode root, String ref, Map<String, JsonNode> named) {
    JsonNode base = root;
    String fragment = ref;
    int hash = ref.indexOf('#');
    if (hash > 0) {
      base = named.get(ref.substring(0, hash));
      fragment = ref.substring(hash);
    } else if (hash < 0) {
      return named.get(ref);
    }
    if (base == null) {
      return null;
    }
    if (fragment.equals("#")) {
      return base;
    }
    if (!fragment.startsWith("#/")) {
      return named.get(fragment);
    }
    try {
      String pointer = java.net.URLDecoder.decode(fragment.substring(1).replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
      JsonNode found = base.at(com.fasterxml.jackson.core.JsonPointer.compile(pointer));
      return found.isMissingNode() ? null : found;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static com.networknt.schema.resource.InputStreamSource refuseRemote(com.networknt.schema.AbsoluteIri iri) {
    String text = iri.toString();
    if (text.startsWith("classpath:") || text.startsWith("resource:")) {
      return null; // the bundled meta-schemas: let the built-in loader serve them
    }
    throw new IllegalArgumentException("$ref to " + text + " is not followed (schemas must be self-contained)");
  }

  /**
   * What went wrong, in the words of the innermost cause that has any: the validator wraps its
   * causes, and a wrapper's message is the cause's class name and message.
   */
  private static String reason(Throwable e) {
    String message = e.getMessage();
    for (Throwable c = e.getCause(); c != null && c != e; e = c, c = c.getCause()) {
      if (c.getMessage() != null) {
        message = c.getMessage();
      }
    }
    return firstLine(message);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unknown error";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
