package dev.gatehouse.policies.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.policies.Decision;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArgumentSchemaPolicyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ArgumentSchemaPolicy policy = new ArgumentSchemaPolicy();

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  @Test
  void acceptsArgumentsThatMatchAndRejectsOnesThatDoNot() throws Exception {
    JsonNode schema = json("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"minLength\":2},"
        + "\"days\":{\"type\":\"integer\",\"maximum\":7}},\"required\":[\"city\"],\"additionalProperties\":false}");
    assertThat(policy.check("w", schema, json("{\"city\":\"Oslo\",\"days\":3}")).allowed()).isTrue();
    Decision missing = policy.check("w", schema, json("{\"days\":3}"));
    assertThat(missing.allowed()).isFalse();
    assertThat(missing.code()).isEqualTo("invalid_arguments");
    assertThat(missing.reason()).contains("city");
    assertThat(policy.check("w", schema, json("{\"city\":5}")).allowed()).isFalse();
    assertThat(policy.check("w", schema, json("{\"city\":\"Oslo\",\"days\":9}")).reason()).contains("7");
    assertThat(policy.check("w", schema, json("{\"city\":\"Oslo\",\"extra\":1}")).allowed()).isFalse();
  }

  @Test
  void aSchemaThatNamesDraft2020_12Works() throws Exception {
    JsonNode schema = json("{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
        + "\"properties\":{\"tags\":{\"type\":\"array\",\"prefixItems\":[{\"type\":\"string\"}]}}}");
    assertThat(policy.check("w", schema, json("{\"tags\":[\"a\"]}")).allowed()).isTrue();
    assertThat(policy.check("w", schema, json("{\"tags\":[1]}")).allowed()).isFalse();
  }

  @Test
  void noSchemaAllowsAnything() throws Exception {
    assertThat(policy.check("w", null, json("{\"x\":1}")).allowed()).isTrue();
    assertThat(policy.check("w", json("{}"), json("{\"x\":1}")).allowed()).isTrue();
  }

  @Test
  void aSchemaNeverFetchesARemoteRef() throws Exception {
    AtomicInteger hits = new AtomicInteger();
    com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", ex -> {
      hits.incrementAndGet();
      byte[] b = "{\"type\":\"string\"}".getBytes();
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    server.start();
    try {
      JsonNode schema = json("{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"http://127.0.0.1:" + server.getAddress().getPort() + "/s.json\"}}}");
      Decision d = policy.check("w", schema, json("{\"a\":\"x\"}"));
      assertThat(hits.get()).isZero();
      assertThat(d.allowed()).isFalse();
      assertThat(d.reason()).contains("cannot be used").contains("is not followed").doesNotContain("java.");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aSchemaIsCheckedAgainstItsDraftsMetaSchemaBeforeItIsStored() throws Exception {
    // What the registry file and the admin API refuse: a schema every call would fail against, or check wrongly.
    assertThat(ArgumentSchemaPolicy.problem(json("{\"type\":\"strnig\"}"))).contains("$.type");
    assertThat(ArgumentSchemaPolicy.problem(json("{\"type\":\"object\",\"required\":true}"))).contains("$.required");
    assertThat(ArgumentSchemaPolicy.problem(json("{\"properties\":{\"a\":{\"minLength\":-1}}}"))).contains("minLength");
    assertThat(ArgumentSchemaPolicy.problem(json("{\"$schema\":\"https://example.com/my-draft\"}"))).isNotNull();
    assertThat(ArgumentSchemaPolicy.problem(json("{\"$ref\":\"http://127.0.0.1:9/s.json\"}"))).contains("not followed").doesNotContain("java.");
    // Sound schemas, of 2020-12 or of a draft they name, and none at all.
    assertThat(ArgumentSchemaPolicy.problem(json("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"minLength\":2}},"
        + "\"required\":[\"city\"],\"additionalProperties\":false}"))).isNull();
    assertThat(ArgumentSchemaPolicy.problem(json("{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":[\"string\",\"null\"],"
        + "\"definitions\":{\"d\":{\"type\":\"integer\"}},\"properties\":{\"n\":{\"$ref\":\"#/definitions/d\"}}}"))).isNull();
    assertThat(ArgumentSchemaPolicy.problem(json("{}"))).isNull();
    assertThat(ArgumentSchemaPolicy.problem(null)).isNull();
  }

  @Test
  void theDeepestSchemaTheRegistryAcceptsIsCheckedWithoutExhaustingTheStack() throws Exception {
    // The registry refuses schemas nested deeper than ToolEntries.MAX_SCHEMA_DEPTH; the meta-schema
    // check recurses per level, and one nested 980 levels deep overflowed a test thread's stack.
    int levels = dev.gatehouse.registry.yaml.ToolEntries.MAX_SCHEMA_DEPTH / 2 - 1;
    String schema = "{\"type\":\"object\",\"properties\":{\"a\":".repeat(levels) + "{\"type\":\"string\"}" + "}}".repeat(levels);
    assertThat(ArgumentSchemaPolicy.problem(json(schema))).isNull();
    String args = "{\"a\":".repeat(levels) + "1" + "}".repeat(levels);
    Decision d = policy.check("w", json(schema), json(args));
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).contains("do not match its inputSchema");
  }

  @Test
  void aSchemaWhoseRefsLoopIsRefusedAndNeverTakesTheThreadDown() throws Exception {
    // An MCP server brings its tools' schemas: one that refers to itself without end made the
    // validator recurse until the stack was gone, in the worker's thread.
    JsonNode self = json("{\"$ref\":\"#\"}");
    JsonNode loop = json("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},\"b\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}");
    JsonNode onlyWithA = json("{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/properties/a\"}}}");
    for (JsonNode schema : List.of(self, loop, onlyWithA)) {
      Decision d = policy.check("w", schema, json("{\"a\":1}"));
      assertThat(d.allowed()).as(schema.toString()).isFalse();
      assertThat(d.reason()).as(schema.toString()).contains("cannot be used").contains("$ref loop");
    }
    assertThat(ArgumentSchemaPolicy.problem(self)).contains("$ref loop");
    assertThat(ArgumentSchemaPolicy.problem(loop)).contains("$ref loop");
    // The policy still works for the next call.
    assertThat(policy.check("w", json("{\"type\":\"object\"}"), json("{}")).allowed()).isTrue();
  }
}
