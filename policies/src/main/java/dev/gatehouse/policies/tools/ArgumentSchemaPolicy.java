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
