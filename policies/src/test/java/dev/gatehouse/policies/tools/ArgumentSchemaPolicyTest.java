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

  /** {@code levels} definitions, each an anyOf of three $refs to the next: 3^levels subschemas expanded. */
  private static JsonNode fanOut(int levels, String refStyle) throws Exception {
    StringBuilder defs = new StringBuilder();
    for (int i = 0; i < levels; i++) {
      String ref = refStyle.equals("anchor") ? "#d" + (i + 1) : "#/$defs/d" + (i + 1);
      String anchor = refStyle.equals("anchor") ? "\"$anchor\":\"d" + i + "\"," : "";
      String branch = "{\"$ref\":\"" + ref + "\"}";
      defs.append("\"d").append(i).append("\":{").append(anchor).append("\"anyOf\":[")
          .append(String.join(",", branch, branch, branch)).append("]},");
    }
    String last = refStyle.equals("anchor") ? "\"$anchor\":\"d" + levels + "\"," : "";
    defs.append("\"d").append(levels).append("\":{").append(last).append("\"type\":\"string\",\"minLength\":3}");
    String first = refStyle.equals("anchor") ? "#d0" : "#/$defs/d0";
    return json("{\"type\":\"object\",\"properties\":{\"x\":{\"$ref\":\"" + first + "\"}},\"$defs\":{" + defs + "}}");
  }

  /**
   * A schema whose definitions fan out through $refs is refused when written and when a call is
   * checked against it: a probe's 1.6 KB schema of sixteen such levels took the heap of the
   * process, and twelve took 4 s per call.
   */
  @Test
  void aSchemaThatExpandsTooFarThroughItsRefsIsRefused() throws Exception {
    JsonNode small = fanOut(5, "pointer"); // 3^5 = 243 expanded
    assertThat(ArgumentSchemaPolicy.problem(small)).isNull();
    assertThat(policy.check("w", small, json("{\"x\":\"abcd\"}")).allowed()).isTrue();
    for (String style : List.of("pointer", "anchor")) {
      JsonNode big = fanOut(16, style);
      assertThat(ArgumentSchemaPolicy.expanded(big)).as(style).isGreaterThan(ArgumentSchemaPolicy.MAX_EXPANDED);
      assertThat(ArgumentSchemaPolicy.problem(big)).as(style).contains("expands to more than 10000 subschemas");
      Decision d = policy.check("w", big, json("{\"x\":\"abcd\"}"));
      assertThat(d.allowed()).as(style).isFalse();
      assertThat(d.reason()).as(style).contains("expands to more than");
    }
    // One definition referred to from fifty properties, without fanning out further, is fine.
    StringBuilder props = new StringBuilder();
    for (int i = 0; i < 50; i++) {
      props.append(i == 0 ? "" : ",").append("\"p").append(i).append("\":{\"$ref\":\"#/$defs/user\"}");
    }
    JsonNode shared = json("{\"type\":\"object\",\"properties\":{" + props + "},\"$defs\":{\"user\":{\"type\":\"object\","
        + "\"properties\":{\"name\":{\"type\":\"string\"},\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}}}");
    assertThat(ArgumentSchemaPolicy.expanded(shared)).isBetween(300L, 1_000L);
    assertThat(ArgumentSchemaPolicy.problem(shared)).isNull();
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
