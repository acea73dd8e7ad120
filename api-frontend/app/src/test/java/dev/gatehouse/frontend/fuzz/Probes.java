package dev.gatehouse.frontend.fuzz;

import static dev.gatehouse.frontend.fuzz.Hostile.quote;

import dev.gatehouse.frontend.testing.TestGatehouse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/** The hostile requests of each face, as arbitraries of {@link Probe}. */
final class Probes {
  private Probes() {}

  private static final String KEY = TestGatehouse.KEY_A;
  private static final String ADMIN = TestGatehouse.ADMIN_KEY;

  /** Credentials: mostly the right one, sometimes none, a wrong one, the other audience's, or junk. */
  private static Arbitrary<String> keys(String right, String other) {
    return Arbitraries.frequencyOf(
        Tuple.of(20, Arbitraries.just(right)),
        Tuple.of(1, Arbitraries.just((String) null)),
        Tuple.of(1, Arbitraries.of("gk_wrong", other, "x".repeat(5000), "\u00e9\u00e9", "Bearer", "")));
  }

  private static Arbitrary<String> contentTypes() {
    return Arbitraries.frequencyOf(
        Tuple.of(12, Arbitraries.just("application/json")),
        Tuple.of(1, Arbitraries.of("text/plain", "application/xml", "application/json; charset=latin1", "application/json; charset=utf-16",
            "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "*/*", "json", ";;;", "application/json; charset=\u00e9")),
        Tuple.of(1, Arbitraries.just((String) null)));
  }

  // ---- tasks: /v1/tasks

  private static final String STEP = "{\"id\":\"a\",\"tool\":\"t.add\",\"args\":{\"x\":1}}";

  /** A task body: a valid shape with one hostile value put somewhere, or something that is not a task at all. */
  static Arbitrary<String> taskBodies() {
    Arbitrary<String> v = Hostile.jsonValues();
    Arbitrary<String> s = Hostile.strings().map(Hostile::quote);
    List<Arbitrary<String>> shapes = new java.util.ArrayList<>(List.of(
        s.map(x -> "{\"workflow\":" + x + ",\"pipeline\":{\"steps\":[" + STEP + "]}}"),
        v.map(x -> "{\"workflow\":\"pipeline\",\"input\":" + x + ",\"pipeline\":{\"steps\":[" + STEP + "]}}"),
        s.map(x -> "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":" + x + ",\"tool\":\"t.add\"}]}}"),
        s.map(x -> "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":" + x + "}]}}"),
        v.map(x -> "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.echo\",\"args\":{\"x\":" + x + "}}]}}"),
        s.map(x -> "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.echo\",\"args\":{\"x\":\"${input." + x.replace("\"", "") + "}\"}}]}}"),
        Hostile.durations().map(x -> "{\"workflow\":\"pipeline\",\"timeout\":" + quote(x) + ",\"pipeline\":{\"steps\":[" + STEP + "]}}"),
        Hostile.numbers().map(x -> "{\"workflow\":\"pipeline\",\"timeout\":" + x + ",\"pipeline\":{\"steps\":[" + STEP + "]}}"),
        Combinators.combine(Hostile.names(), v).as((k, x) -> "{\"workflow\":\"pipeline\"," + quote(k) + ":" + x + ",\"pipeline\":{\"steps\":[" + STEP + "]}}"),
        Arbitraries.integers().between(2, 400).map(n -> {
          StringBuilder b = new StringBuilder("{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[");
          for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("{\"id\":\"s").append(i).append("\",\"tool\":\"t.add\",\"dependsOn\":[\"s").append((i + 1) % n).append("\"]}");
          }
          return b.append("]}}").toString();
        }),
        Hostile.almostJson(),
        Hostile.deepNesting(),
        v));
    // The agent task: each member of its input hostile in turn.
    String agent = "{\"workflow\":\"agent\",\"input\":{\"model\":\"fz-model\",";
    shapes.add(s.map(x -> "{\"workflow\":\"agent\",\"input\":{\"model\":" + x + ",\"goal\":\"g\"}}"));
    shapes.add(v.map(x -> "{\"workflow\":\"agent\",\"input\":" + x + "}"));
    shapes.add(v.map(x -> agent + "\"goal\":" + x + "}}"));
    shapes.add(v.map(x -> agent + "\"messages\":" + x + "}}"));
    shapes.add(v.map(x -> agent + "\"messages\":[" + x + "]}}"));
    shapes.add(v.map(x -> agent + "\"messages\":[{\"role\":\"user\",\"content\":" + x + "}]}}"));
    shapes.add(v.map(x -> agent + "\"goal\":\"g\",\"tools\":" + x + "}}"));
    shapes.add(s.map(x -> agent + "\"goal\":\"g\",\"tools\":[" + x + "]}}"));
    shapes.add(v.map(x -> agent + "\"goal\":\"g\",\"limits\":" + x + "}}"));
    for (String limit : List.of("maxSteps", "maxTokens", "maxCost", "maxOutputTokens", "deadline")) {
      shapes.add(v.map(x -> agent + "\"goal\":\"g\",\"limits\":{\"" + limit + "\":" + x + "}}}"));
      shapes.add(Hostile.numbers().map(x -> agent + "\"goal\":\"g\",\"limits\":{\"" + limit + "\":" + x + "}}}"));
    }
    shapes.add(Hostile.durations().map(x -> agent + "\"goal\":\"g\",\"limits\":{\"deadline\":" + quote(x) + "}}}"));
    shapes.add(v.map(x -> "{\"workflow\":\"pipeline\",\"pipeline\":" + x + "}"));
    shapes.add(v.map(x -> "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":" + x + "}}"));
    shapes.add(v.map(x -> "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[" + x + "]}}"));
    shapes.add(v.map(x -> "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\",\"dependsOn\":" + x + "}]}}"));
    shapes.add(v.map(x -> "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\",\"args\":" + x + "}]}}"));
    return Arbitraries.oneOf(shapes);
  }

  static Arbitrary<Probe> tasks() {
    Arbitrary<Probe> submit =
        Combinators.combine(keys(KEY, ADMIN), taskBodies(), contentTypes(), Arbitraries.oneOf(Arbitraries.just((String) null), Hostile.names()))
            .as((key, body, type, idem) -> new Probe.Http("POST", "/v1/tasks")
                .bearer(key).header("Idempotency-Key", idem == null ? null : Hostile.percentEncode(idem))
                .body(body.getBytes(StandardCharsets.UTF_8), type).probe("tasks", "submit"));
    Arbitrary<Probe> invalidUtf8 =
        Combinators.combine(taskBodies(), Hostile.invalidUtf8(), Arbitraries.integers().between(0, 200))
            .as((body, bad, at) -> {
              byte[] b = body.getBytes(StandardCharsets.UTF_8);
              int cut = Math.min(at, b.length);
              ByteArrayOutputStream out = new ByteArrayOutputStream();
              out.write(b, 0, cut);
              out.writeBytes(bad);
              out.write(b, cut, b.length - cut);
              return new Probe.Http("POST", "/v1/tasks").bearer(KEY).body(out.toByteArray(), "application/json").probe("tasks", "invalid UTF-8");
            });
    Arbitrary<Probe> list =
        Combinators.combine(keys(KEY, ADMIN), Arbitraries.of("status", "limit", "cursor", "tenant", "wait", "x"), Hostile.queryValues())
            .as((key, name, value) -> new Probe.Http("GET", "/v1/tasks?" + name + "=" + value).bearer(key).probe("tasks", "list"));
    Arbitrary<Probe> byId =
        Combinators.combine(keys(KEY, ADMIN), Hostile.segments(), Arbitraries.of("", "/trace", "/events", "/cancel", "/x", "/results", "/results/", "?wait=1ms", "?wait=-1s", "?wait=99999d"),
                Arbitraries.of("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "FOO"))
            .as((key, id, tail, method) -> new Probe.Http(method, "/v1/tasks/" + id + tail).bearer(key)
                .body(method.equals("POST") || method.equals("PUT") ? new byte[0] : null, null).probe("tasks", "by id"));
    // A task's stored tool results: hostile task and result ids, and ids of the right shape that name nothing.
    Arbitrary<Probe> results =
        Combinators.combine(keys(KEY, ADMIN), Hostile.segments(),
                Arbitraries.oneOf(Hostile.segments(), Arbitraries.strings().withChars("abcdefghijkmnpqrstuvwxyz23456789").ofLength(20).map(x -> "res_" + x)),
                Arbitraries.of("GET", "GET", "POST", "DELETE", "HEAD"))
            .as((key, id, result, method) -> new Probe.Http(method, "/v1/tasks/" + id + "/results/" + result).bearer(key)
                .body(method.equals("POST") ? new byte[0] : null, null).probe("tasks", "results"));
    Arbitrary<Probe> events =
        Combinators.combine(keys(KEY, ADMIN), Hostile.segments(), Hostile.names(), Arbitraries.of("text/event-stream", "application/json", "*/*"))
            .as((key, id, last, accept) -> new Probe.Http("GET", "/v1/tasks/" + id + "/events").bearer(key)
                .header("Last-Event-ID", Hostile.percentEncode(last)).header("Accept", accept).probe("tasks", "events"));
    Arbitrary<Probe> methods =
        Combinators.combine(Arbitraries.of("PUT", "DELETE", "PATCH", "TRACE", "FOO", "get", "OPTIONS", "HEAD"), Arbitraries.of("/v1/tasks", "/v1", "/v1/", "/v1/nothing"))
            .as((method, path) -> new Probe.Http(method, path).bearer(KEY).json("{}").probe("tasks", "method"));
    return Arbitraries.frequencyOf(
        Tuple.of(6, submit), Tuple.of(1, invalidUtf8), Tuple.of(2, list), Tuple.of(2, byId), Tuple.of(1, results), Tuple.of(1, events),
        Tuple.of(1, methods));
  }

  // ---- admin: /admin/v1/...

  private static final List<String> COLLECTIONS =
      List.of("tenants", "agents", "tools", "mcp-servers", "virtual-servers", "policies", "budgets", "secrets", "identity-providers", "admin-keys", "keys",
          "audit", "registry");

  /** A body for a collection: its fields with one hostile value, or not an object at all. */
  static Arbitrary<String> adminBodies() {
    Arbitrary<String> s = Hostile.strings().map(Hostile::quote);
    Arbitrary<String> v = Hostile.jsonValues();
    List<Arbitrary<String>> shapes = new java.util.ArrayList<>(List.of(
        s.map(x -> "{\"name\":" + x + "}"),
        s.map(x -> "{\"tenant\":\"alpha\",\"name\":" + x + ",\"subject\":\"sub\"}"),
        s.map(x -> "{\"tenant\":\"alpha\",\"name\":\"fz\",\"subject\":" + x + "}"),
        s.map(x -> "{\"tenant\":" + x + ",\"name\":\"fz\"}"),
        s.map(x -> "{\"value\":" + x + ",\"tenant\":\"alpha\"}"),
        s.map(x -> "{\"name\":\"fz\",\"tenant\":\"alpha\",\"http\":{\"method\":\"GET\",\"url\":" + x + "}}"),
        s.map(x -> "{\"name\":\"fz\",\"tenant\":\"alpha\",\"http\":{\"method\":" + x + ",\"url\":\"http://127.0.0.1:1/x\"}}"),
        s.map(x -> "{\"name\":\"fz\",\"tenant\":\"alpha\",\"http\":{\"method\":\"GET\",\"url\":\"http://127.0.0.1:1/x\",\"headers\":{\"X-A\":" + x + "}}}"),
        s.map(x -> "{\"name\":\"fz\",\"tenant\":\"alpha\",\"timeout\":" + x + ",\"http\":{\"method\":\"GET\",\"url\":\"http://127.0.0.1:1/x\"}}"),
        Hostile.durations().map(x -> "{\"name\":\"fz\",\"tenant\":\"alpha\",\"timeout\":" + quote(x) + ",\"http\":{\"method\":\"GET\",\"url\":\"http://127.0.0.1:1/x\"}}"),
        Hostile.timestamps().map(x -> "{\"expiresAt\":" + quote(x) + "}"),
        Hostile.timestamps().map(x -> "{\"name\":\"fz\",\"tenant\":\"alpha\",\"expiresAt\":" + quote(x) + "}"),
        s.map(x -> "{\"name\":\"fz\",\"transport\":\"nope\",\"url\":" + x + "}"),
        s.map(x -> "{\"tenant\":\"alpha\",\"name\":\"fz\",\"issuer\":" + x + ",\"audience\":\"a\",\"jwksUrl\":\"http://127.0.0.1:1/jwks\"}"),
        Hostile.numbers().map(x -> "{\"tenant\":\"alpha\",\"name\":\"fz\",\"issuer\":\"i\",\"audience\":\"a\",\"jwksUrl\":\"http://127.0.0.1:1/jwks\",\"clockSkewSeconds\":" + x + "}"),
        s.map(x -> "{\"name\":\"fz\",\"tenant\":\"alpha\",\"tools\":[" + x + "]}"),
        Combinators.combine(Hostile.names(), v).as((k, x) -> "{" + quote(k) + ":" + x + "}"),
        Hostile.almostJson(),
        Hostile.deepNesting(),
        v));
    shapes.add(v.map(x -> "{\"tenant\":\"alpha\",\"name\":\"fz\",\"subject\":\"s\",\"tools\":" + x + "}"));
    shapes.add(v.map(x -> "{\"name\":\"fz\",\"tenant\":\"alpha\",\"http\":" + x + "}"));
    shapes.add(v.map(x -> "{\"name\":\"fz\",\"tenant\":\"alpha\",\"tools\":" + x + "}"));
    shapes.add(v.map(x -> "{\"name\":" + x + "}"));
    // Policy entries: a hostile kind, limit, pattern (custom PII patterns and deny patterns are regular expressions), scope or setting.
    shapes.add(s.map(x -> "{\"name\":\"fz\",\"tenant\":\"alpha\",\"kind\":" + x + "}"));
    shapes.add(Hostile.numbers().map(x -> "{\"name\":\"fz\",\"kind\":\"rate-limit\",\"rateLimit\":{\"requestsPerMinute\":" + x + "}}"));
    shapes.add(Hostile.numbers().map(x -> "{\"name\":\"fz\",\"kind\":\"budget\",\"budget\":{\"cost\":" + x + ",\"tokens\":" + x + "}}"));
    shapes.add(s.map(x -> "{\"name\":\"fz\",\"kind\":\"pii\",\"pii\":{\"action\":\"redact\",\"custom\":[{\"name\":\"FZ\",\"pattern\":" + x + "}]}}"));
    shapes.add(s.map(x -> "{\"name\":\"fz\",\"kind\":\"guardrail\",\"guardrail\":{\"denyPatterns\":[" + x + "],\"allowedLinkHosts\":[" + x + "]}}"));
    shapes.add(v.map(x -> "{\"name\":\"fz\",\"kind\":\"pii\",\"appliesTo\":" + x + ",\"pii\":{\"action\":\"record\"}}"));
    shapes.add(v.map(x -> "{\"name\":\"fz\",\"kind\":\"guardrail\",\"guardrail\":{\"actions\":" + x + "}}"));
    shapes.add(Arbitraries.of("(a+)+$", "(?<=x)y", "\\1", "[", "a{1,99999}", "(.*a){1,20}", "\\p{IsNothing}", "x".repeat(2000))
        .map(x -> "{\"name\":\"fz\",\"kind\":\"pii\",\"pii\":{\"action\":\"block\",\"custom\":[{\"name\":\"FZ\",\"pattern\":" + quote(x) + "}]}}"));
    return Arbitraries.oneOf(shapes);
  }

  static Arbitrary<Probe> admin() {
    Arbitrary<String> collection = Arbitraries.of(COLLECTIONS);
    Arbitrary<Probe> create =
        Combinators.combine(keys(ADMIN, KEY), collection, adminBodies(), contentTypes())
            .as((key, c, body, type) -> new Probe.Http(c.equals("secrets") || c.equals("registry") ? "PUT" : "POST", "/admin/v1/" + c + (c.equals("secrets") ? "/fz" : ""))
                .bearer(key).body(body.getBytes(StandardCharsets.UTF_8), type).probe("admin", "create " + c));
    Arbitrary<Probe> replace =
        Combinators.combine(collection, Hostile.segments(), adminBodies())
            .as((c, name, body) -> new Probe.Http("PUT", "/admin/v1/" + c + "/" + name).bearer(ADMIN).json(body).probe("admin", "replace " + c));
    Arbitrary<Probe> read =
        Combinators.combine(collection, Hostile.segments(), Arbitraries.of("", "/keys", "/refresh", "/x/y"), Arbitraries.of("GET", "DELETE", "POST", "HEAD", "PATCH", "FOO"))
            .as((c, name, tail, method) -> new Probe.Http(method, "/admin/v1/" + c + "/" + name + tail).bearer(ADMIN)
                .body(method.equals("POST") ? new byte[0] : null, null).probe("admin", method + " one of " + c));
    Arbitrary<Probe> list =
        Combinators.combine(collection, Arbitraries.of("tenant", "agent", "kind", "outcome", "since", "until", "limit", "cursor", "policy"), Hostile.queryValues(), Hostile.timestamps())
            .as((c, q, value, time) -> new Probe.Http("GET", "/admin/v1/" + c + "?" + q + "=" + (q.equals("since") || q.equals("until") ? Hostile.percentEncode(time) : value))
                .bearer(ADMIN).probe("admin", "list " + c));
    Arbitrary<Probe> registry =
        Arbitraries.of("tenants: [", "tenants:\n  - name: 1\n    agents: {}", "tools: 7", "{}", "- a\n- b", "tenants:\n  - {name: fz, agents: [{name: x, tools: 3}]}",
                "tools:\n  - {name: t.x, http: {method: 3}}", "policies: [{name: p, kind: pii, pii: {action: redact, custom: [{name: X, pattern: '(a+)+'}]}}]",
                "policies: [{name: p, kind: rate-limit, rateLimit: {requestsPerMinute: 1e99}}]", "policies: {}", "!!java.lang.Object {}", "a: &a [*a, *a]", "\u0000", "tenants: [{name: \"\\ud800\"}]")
            .map(y -> new Probe.Http("PUT", "/admin/v1/registry").bearer(ADMIN).body(y.getBytes(StandardCharsets.UTF_8), "application/yaml").probe("admin", "registry YAML"));
    Arbitrary<String> v = Hostile.jsonValues();
    Arbitrary<String> decisions = Arbitraries.oneOf(
        v.map(x -> "{\"decision\":" + x + ",\"argumentsSha256\":\"" + "a".repeat(64) + "\"}"),
        v.map(x -> "{\"decision\":\"approve\",\"argumentsSha256\":" + x + "}"),
        v.map(x -> "{\"decision\":\"deny\",\"argumentsSha256\":\"" + "a".repeat(64) + "\",\"reason\":" + x + "}"),
        Combinators.combine(Hostile.names(), v).as((k, x) -> "{\"decision\":\"approve\"," + quote(k) + ":" + x + "}"),
        Hostile.almostJson(), Hostile.deepNesting(), v);
    Arbitrary<Probe> approvals =
        Combinators.combine(keys(ADMIN, KEY), Hostile.segments(), Hostile.segments(), decisions, Arbitraries.of("POST", "GET", "PUT", "DELETE"))
            .as((key, task, call, body, method) -> new Probe.Http(method, "/admin/v1/tasks/" + task + "/approvals" + (method.equals("GET") ? "" : "/" + call))
                .bearer(key).body(method.equals("GET") ? null : body.getBytes(StandardCharsets.UTF_8), method.equals("GET") ? null : "application/json")
                .probe("admin", "approval decision"));
    return Arbitraries.frequencyOf(
        Tuple.of(6, create), Tuple.of(2, replace), Tuple.of(2, read), Tuple.of(2, list), Tuple.of(1, registry), Tuple.of(2, approvals));
  }

  // ---- MCP: /mcp

  private static final List<String> METHODS =
      List.of("initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/read", "resources/templates/list", "resources/subscribe",
          "prompts/list", "prompts/get", "completion/complete", "logging/setLevel", "notifications/initialized", "notifications/cancelled",
          "notifications/progress", "notifications/roots/list_changed", "sampling/createMessage", "", " ", "tools/call/", "TOOLS/LIST",
          "rpc.discover", "x".repeat(3000), "\u202Etools/list", "tools\u0001list");

  static Arbitrary<String> ids() {
    List<String> ids = new java.util.ArrayList<>(List.of("1", "\"a\"", "0", "-1", "1.5", "1e400", "true", "false", "{}", "[]", "{\"a\":1}", "\"\"",
        "\"" + "i".repeat(5000) + "\"", "\"\\ud800\"", "-0", "9007199254740993", "9223372036854775807"));
    // An integer id past a long, and a null id on a request.
    ids.add("18446744073709551616");
    ids.add("null");
    return Arbitraries.of(ids);
  }

  static Arbitrary<String> params(String method) {
    Arbitrary<String> s = Hostile.strings().map(Hostile::quote);
    List<Arbitrary<String>> shapes = new java.util.ArrayList<>(List.of(
        Arbitraries.of("", ",\"params\":null", ",\"params\":{}", ",\"params\":[]", ",\"params\":\"x\"", ",\"params\":7"),
        s.map(x -> ",\"params\":{\"name\":" + x + ",\"arguments\":{}}"),
        Arbitraries.of("t.add", "t.echo", "t.weather", "t.big", "t.status", "nope").flatMap(tool -> Hostile.jsonValues().map(x -> ",\"params\":{\"name\":\"" + tool + "\",\"arguments\":{\"x\":" + x + ",\"city\":" + x + ",\"code\":" + x + "}}")),
        s.map(x -> ",\"params\":{\"uri\":" + x + "}"),
        s.map(x -> ",\"params\":{\"level\":" + x + "}"),
        s.map(x -> ",\"params\":{\"requestId\":" + x + ",\"reason\":" + x + "}"),
        s.map(x -> ",\"params\":{\"protocolVersion\":" + x + ",\"capabilities\":{},\"clientInfo\":{\"name\":\"f\",\"version\":\"1\"}}"),
        s.map(x -> ",\"params\":{\"cursor\":" + x + "}")));
    shapes.add(Hostile.jsonValues().map(x -> ",\"params\":{\"name\":" + x + ",\"arguments\":" + x + ",\"uri\":" + x + ",\"level\":" + x + ",\"cursor\":" + x + "}"));
    shapes.add(Hostile.jsonValues().map(x -> ",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":" + x + ",\"clientInfo\":" + x + "}"));
    shapes.add(Hostile.jsonValues().map(x -> ",\"params\":{\"progressToken\":" + x + ",\"progress\":" + x + ",\"requestId\":" + x + "}"));
    shapes.add(Hostile.jsonValues().map(x -> ",\"params\":{\"ref\":" + x + ",\"argument\":" + x + "}"));
    return Arbitraries.oneOf(shapes);
  }

  static Arbitrary<String> mcpMessages() {
    Arbitrary<String> request =
        Combinators.combine(Arbitraries.of(METHODS), ids(), Arbitraries.of("\"2.0\"", "\"2.0\"", "\"2.0\"", "\"1.0\"", "2.0", "null", "\"\""), Arbitraries.of(true, false))
            .flatAs((method, id, version, withId) -> params(method).map(p ->
                "{\"jsonrpc\":" + version + (withId ? ",\"id\":" + id : "") + ",\"method\":" + quote(method) + p + "}"));
    Arbitrary<String> response =
        Combinators.combine(ids(), Arbitraries.of(",\"result\":{}", ",\"result\":null", ",\"error\":{\"code\":-1,\"message\":\"m\"}", ",\"error\":7", ",\"result\":{},\"error\":{}"))
            .as((id, rest) -> "{\"jsonrpc\":\"2.0\",\"id\":" + id + rest + "}");
    Arbitrary<String> batch =
        Arbitraries.of("[]", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", "[1,2]", "[[]]", "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}]");
    Arbitrary<String> noVersion = Arbitraries.of("{\"id\":1,\"method\":\"ping\"}", "{\"method\":\"ping\"}", "{}", "{\"jsonrpc\":\"2.0\"}", "{\"jsonrpc\":\"2.0\",\"id\":1}");
    return Arbitraries.frequencyOf(Tuple.of(8, request), Tuple.of(2, response), Tuple.of(1, batch), Tuple.of(1, noVersion),
        Tuple.of(1, Hostile.almostJson()), Tuple.of(1, Hostile.deepNesting()), Tuple.of(1, Hostile.jsonValues()));
  }

  static Arbitrary<Probe> mcp(String session) {
    Arbitrary<String> sessions = Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.just(session)), Tuple.of(2, Arbitraries.just((String) null)),
        Tuple.of(1, Arbitraries.of("nope", "", "x".repeat(3000), "\u00e9", session + "x")));
    Arbitrary<String> accepts = Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.just("application/json, text/event-stream")),
        Tuple.of(1, Arbitraries.of("application/json", "text/event-stream", "*/*", "text/html", "", "application/json;q=0")), Tuple.of(1, Arbitraries.just((String) null)));
    Arbitrary<String> endpoints = Arbitraries.frequencyOf(Tuple.of(10, Arbitraries.just("/mcp")),
        Tuple.of(1, Arbitraries.of("/mcp/", "/mcp/nope", "/mcp/a/b", "/mcp/%2e%2e", "/mcp/%00", "/mcp?x=1", "/mcp/" + "v".repeat(2000))));
    Arbitrary<Probe> post =
        Combinators.combine(keys(KEY, ADMIN), sessions, accepts, contentTypes(), endpoints, mcpMessages(), Arbitraries.of("2025-06-18", "2025-03-26", "1999-01-01", "\u00e9", "").injectNull(0.7))
            .as((key, sid, accept, type, path, message, version) -> new Probe.Http("POST", path).bearer(key).header("Mcp-Session-Id", sid).header("Accept", accept)
                .header("MCP-Protocol-Version", version).body(message.getBytes(StandardCharsets.UTF_8), type).probe("mcp", "message"));
    // GET with a live session and an event-stream Accept opens the listening stream, which never
    // ends: the GETs here have no session, someone else's, or the wrong Accept.
    Arbitrary<Probe> others =
        Combinators.combine(Arbitraries.of("GET", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO"), Arbitraries.of("nope", "", "x".repeat(300)).injectNull(0.3),
                Arbitraries.of("text/event-stream", "application/json", "*/*").injectNull(0.2), endpoints)
            .as((method, sid, accept, path) -> new Probe.Http(method, path).bearer(KEY).header("Mcp-Session-Id", sid).header("Accept", accept)
                .body(method.equals("PUT") || method.equals("PATCH") ? "{}".getBytes(StandardCharsets.UTF_8) : null, "application/json").probe("mcp", method));
    Arbitrary<Probe> wrongSessionGet =
        Arbitraries.just(new Probe.Http("GET", "/mcp").bearer(KEY).header("Mcp-Session-Id", session).header("Accept", "application/json").probe("mcp", "GET without event-stream"));
    Arbitrary<Probe> wellKnown =
        Hostile.segments().map(s -> new Probe.Http("GET", "/.well-known/oauth-protected-resource/mcp/" + s).probe("mcp", "protected resource metadata"));
    return Arbitraries.frequencyOf(Tuple.of(12, post), Tuple.of(2, others), Tuple.of(1, wrongSessionGet), Tuple.of(1, wellKnown));
  }

  // ---- the model faces: /v1/chat/completions, /v1/embeddings, /v1/messages, /v1/messages/count_tokens, /v1/responses, /v1/models

  private static final List<String> MODEL_PATHS =
      List.of("/v1/chat/completions", "/v1/embeddings", "/v1/messages", "/v1/messages/count_tokens", "/v1/responses", "/v1/models");

  /** Model names: the suite's own (answered by its fake provider), unknown ones, and hostile text. */
  static Arbitrary<String> modelNames(String known) {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.just(known)),
        Tuple.of(1, Arbitraries.of("gpt-4o", "claude-sonnet-4-5", known + " ", known.toUpperCase(java.util.Locale.ROOT), "*", "%", "t.add")),
        Tuple.of(2, Hostile.strings()));
  }

  /** A model call's body: a valid shape with one hostile value put somewhere, or something that is not a call at all. */
  static Arbitrary<String> modelBodies(String known) {
    Arbitrary<String> v = Hostile.jsonValues();
    Arbitrary<String> m = modelNames(known).map(Hostile::quote);
    String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    List<Arbitrary<String>> shapes = new java.util.ArrayList<>(List.of(
        m.map(x -> "{\"model\":" + x + "," + msgs + ",\"max_tokens\":8}"),
        m.map(x -> "{\"model\":" + x + "," + msgs + ",\"stream\":true,\"max_tokens\":8}"),
        m.map(x -> "{\"model\":" + x + ",\"input\":\"hello\"}"),
        v.map(x -> "{\"model\":" + x + "," + msgs + "}"),
        v.map(x -> "{\"model\":\"" + known + "\"," + msgs + ",\"stream\":" + x + "}"),
        v.map(x -> "{\"model\":\"" + known + "\",\"messages\":" + x + ",\"max_tokens\":8}"),
        v.map(x -> "{\"model\":\"" + known + "\",\"messages\":[" + x + "],\"max_tokens\":8}"),
        v.map(x -> "{\"model\":\"" + known + "\",\"messages\":[{\"role\":" + x + ",\"content\":\"hi\"}],\"max_tokens\":8}"),
        v.map(x -> "{\"model\":\"" + known + "\",\"messages\":[{\"role\":\"user\",\"content\":" + x + "}],\"max_tokens\":8}"),
        v.map(x -> "{\"model\":\"" + known + "\",\"messages\":[{\"role\":\"user\",\"content\":[" + x + "]}],\"max_tokens\":8}"),
        v.map(x -> "{\"model\":\"" + known + "\"," + msgs + ",\"max_tokens\":" + x + "}"),
        v.map(x -> "{\"model\":\"" + known + "\"," + msgs + ",\"system\":" + x + ",\"max_tokens\":8}"),
        v.map(x -> "{\"model\":\"" + known + "\"," + msgs + ",\"tools\":" + x + ",\"max_tokens\":8}"),
        v.map(x -> "{\"model\":\"" + known + "\"," + msgs + ",\"tools\":[" + x + "],\"tool_choice\":" + x + "}"),
        v.map(x -> "{\"model\":\"" + known + "\"," + msgs + ",\"stream\":true,\"stream_options\":" + x + "}"),
        v.map(x -> "{\"model\":\"" + known + "\"," + msgs + ",\"response_format\":" + x + ",\"stop\":" + x + "}"),
        v.map(x -> "{\"model\":\"" + known + "\",\"input\":" + x + "}"),
        // the Responses API's shapes
        v.map(x -> "{\"model\":\"" + known + "\",\"input\":[" + x + "]}"),
        v.map(x -> "{\"model\":\"" + known + "\",\"input\":[{\"role\":\"user\",\"content\":[" + x + "]}],\"stream\":true}"),
        v.map(x -> "{\"model\":\"" + known + "\",\"input\":[{\"type\":\"function_call\",\"call_id\":\"c\",\"name\":\"f\",\"arguments\":\"{}\"},"
            + "{\"type\":\"function_call_output\",\"call_id\":\"c\",\"output\":" + x + "}]}"),
        v.map(x -> "{\"model\":\"" + known + "\",\"input\":\"hi\",\"tools\":[" + x + "],\"tool_choice\":" + x + "}"),
        v.map(x -> "{\"model\":\"" + known + "\",\"input\":\"hi\",\"tools\":[{\"type\":\"namespace\",\"name\":\"n\",\"tools\":[" + x + "]}],"
            + "\"tool_choice\":{\"type\":\"allowed_tools\",\"mode\":\"auto\",\"tools\":" + x + "}}"),
        v.map(x -> "{\"model\":\"" + known + "\",\"input\":\"hi\",\"text\":" + x + ",\"reasoning\":" + x + ",\"instructions\":" + x + "}"),
        Combinators.combine(Hostile.names(), v).as((k, x) -> "{\"model\":\"" + known + "\"," + msgs + "," + quote(k) + ":" + x + "}"),
        Hostile.almostJson(),
        Hostile.deepNesting(),
        v));
    return Arbitraries.oneOf(shapes);
  }

  static Arbitrary<Probe> models(String known) {
    Arbitrary<String> posts = Arbitraries.of(MODEL_PATHS.subList(0, 5));
    Arbitrary<Probe> call =
        Combinators.combine(keys(KEY, ADMIN), posts, modelBodies(known), contentTypes(), Arbitraries.of(true, false))
            .as((key, path, body, type, apiKey) -> {
              Probe.Http h = new Probe.Http("POST", path);
              h = apiKey && path.startsWith("/v1/messages") ? h.header("x-api-key", key).header("anthropic-version", "2023-06-01") : h.bearer(key);
              return h.body(body.getBytes(StandardCharsets.UTF_8), type).probe("models", "call");
            });
    Arbitrary<Probe> invalidUtf8 =
        Combinators.combine(posts, modelBodies(known), Hostile.invalidUtf8(), Arbitraries.integers().between(0, 120))
            .as((path, body, bad, at) -> {
              byte[] b = body.getBytes(StandardCharsets.UTF_8);
              int cut = Math.min(at, b.length);
              ByteArrayOutputStream out = new ByteArrayOutputStream();
              out.write(b, 0, cut);
              out.writeBytes(bad);
              out.write(b, cut, b.length - cut);
              return new Probe.Http("POST", path).bearer(KEY).body(out.toByteArray(), "application/json").probe("models", "invalid UTF-8");
            });
    Arbitrary<Probe> list =
        Combinators.combine(keys(KEY, ADMIN), Arbitraries.of("", "?limit=1", "?after_id=x", "?x=%00"), Arbitraries.of("2023-06-01", "\u00e9", "").injectNull(0.5))
            .as((key, query, version) -> new Probe.Http("GET", "/v1/models" + query).bearer(key).header("anthropic-version", version).probe("models", "list"));
    Arbitrary<Probe> one =
        Combinators.combine(keys(KEY, ADMIN),
                Arbitraries.of(known, known + "/x", "%00", "..%2F..%2Fetc", "%C0%AF", "%E9", "%F0%9F%98%80", "x".repeat(3000), "", "/", "%2F" + known),
                Arbitraries.of("2023-06-01", "").injectNull(0.5))
            .as((key, id, version) -> new Probe.Http("GET", "/v1/models/" + id).bearer(key).header("anthropic-version", version).probe("models", "one model"));
    Arbitrary<Probe> credentials =
        Combinators.combine(Arbitraries.of(MODEL_PATHS), Arbitraries.of("x-api-key", "Authorization", "X-Api-Key"),
                Arbitraries.of("", "Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "gk_wrong", KEY, "Bearer " + ADMIN, "\u00e9", "x".repeat(9000)))
            .as((path, header, value) -> new Probe.Http(path.equals("/v1/models") ? "GET" : "POST", path).header(header, value)
                .json("{\"model\":\"" + known + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"input\":\"x\",\"max_tokens\":8}")
                .probe("models", "credential in " + header));
    Arbitrary<Probe> methods =
        Combinators.combine(Arbitraries.of("GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "FOO", "post"),
                Arbitraries.of("/v1/chat/completions", "/v1/embeddings", "/v1/messages", "/v1/messages/count_tokens", "/v1/responses", "/v1/responses/r",
                    "/v1/models", "/v1/chat/completions/", "/v1/chat",
                    "/v1/messages/x", "/v1/models/" + known))
            .as((method, path) -> new Probe.Http(method, path).bearer(KEY).body(method.equals("PUT") || method.equals("PATCH") ? "{}".getBytes(StandardCharsets.UTF_8) : null, "application/json")
                .probe("models", "method"));
    return Arbitraries.frequencyOf(
        Tuple.of(10, call), Tuple.of(1, invalidUtf8), Tuple.of(1, list), Tuple.of(1, one), Tuple.of(1, credentials), Tuple.of(1, methods));
  }

  // ---- framing: bytes an HTTP client would not send

  private static final List<String> BODY_PATHS = List.of("/v1/tasks", "/admin/v1/tenants", "/mcp", "/v1/chat/completions", "/v1/messages");

  private static String keyFor(String path) {
    return path.startsWith("/admin") ? ADMIN : KEY;
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static final byte[] TASK =
      "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\"}]}}".getBytes(StandardCharsets.UTF_8);

  static Arbitrary<Probe> framing() {
    Arbitrary<String> path = Arbitraries.of(BODY_PATHS);
    Arbitrary<Probe> encodings =
        Combinators.combine(path, Arbitraries.of("gzip", "gzip", "br", "deflate", "compress", "gzip, gzip", "identity, br", "x-gzip", "GZIP", "identity", "\u00e9"),
                Arbitraries.of("garbage", "header-then-garbage", "valid", "truncated", "bomb", "empty"))
            .as((p, enc, kind) -> {
              byte[] body = switch (kind) {
                case "garbage" -> "definitely not compressed".getBytes(StandardCharsets.UTF_8);
                case "header-then-garbage" -> new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 9, 9, 9, 9, 9};
                case "valid" -> gzip(TASK);
                case "truncated" -> java.util.Arrays.copyOf(gzip(TASK), 20);
                case "bomb" -> gzip(new byte[8 * 1024 * 1024]);
                default -> new byte[0];
              };
              return new Probe.Http("POST", p).bearer(keyFor(p)).header("Accept", "application/json, text/event-stream").header("Content-Encoding", enc)
                  .body(body, "application/json").probe("framing", "Content-Encoding " + enc + " " + kind);
            });
    Arbitrary<Probe> chunks =
        Combinators.combine(path, Arbitraries.of("zz", "-1", "FFFFFFFFFFFFFFFF", "1;ext=\"x", "0x10", " 5", "5 ", "", "4\r\nab", "7fffffff", "1\n"),
                Arbitraries.of("chunked", "chunked", "gzip, chunked", "chunked, chunked", "identity", "Chunked", "xchunked"))
            .as((p, size, te) -> {
              byte[] body = (size + "\r\n" + new String(TASK, StandardCharsets.UTF_8) + "\r\n0\r\n\r\n").getBytes(StandardCharsets.UTF_8);
              return new Probe.Http("POST", p).bearer(keyFor(p)).header("Accept", "application/json, text/event-stream").header("Transfer-Encoding", te)
                  .body(body, "application/json").probe("framing", "chunk size '" + size + "' TE " + te);
            });
    Arbitrary<Probe> lengths =
        Combinators.combine(path, Arbitraries.of("short", "long", "dup-same", "dup-diff", "negative", "nan", "huge", "te-and-cl", "space", "plus"))
            .as((p, kind) -> {
              Probe.Http h = new Probe.Http("POST", p).bearer(keyFor(p)).header("Accept", "application/json, text/event-stream");
              int n = TASK.length;
              switch (kind) {
                case "short" -> h.header("Content-Length", String.valueOf(n + 40));
                case "long" -> h.header("Content-Length", String.valueOf(n - 10));
                case "dup-same" -> h.header("Content-Length", String.valueOf(n)).header("Content-Length", String.valueOf(n));
                case "dup-diff" -> h.header("Content-Length", String.valueOf(n)).header("Content-Length", String.valueOf(n + 1));
                case "negative" -> h.header("Content-Length", "-1");
                case "nan" -> h.header("Content-Length", "abc");
                case "huge" -> h.header("Content-Length", "99999999999999999999");
                case "te-and-cl" -> h.header("Content-Length", String.valueOf(n)).header("Transfer-Encoding", "chunked");
                case "space" -> h.header("Content-Length", " " + n + " ");
                default -> h.header("Content-Length", "+" + n);
              }
              return h.body(TASK, "application/json").probe("framing", "Content-Length " + kind);
            });
    Arbitrary<Probe> lines =
        Combinators.combine(Arbitraries.of("HTTP/9.9", "HTTP/0.9", "HTTP/1.2", "HTTP/2.0", "HTTP/1.1x", "http/1.1", "HTTP/1", "HTTP/", "HTTP/1.0", "", "FOO/1.1", "HTTP/01.1"),
                Arbitraries.of("/v1/tasks", "/mcp", "/admin/v1/tenants", "*", "http://evil.example/v1/tasks", "v1/tasks", "//v1//tasks", "/v1/tasks#frag", "/v1/tasks?a=%",
                    "/v1/%2e%2e/admin/v1/tenants", "/v1/../admin/v1/tenants", "/%00", "/v1/tasks/\u00e9", "/v1/tasks/%C0%AF", "/" + "p".repeat(9000), "/v1/tasks\ttab"),
                Arbitraries.of("GET", "POST", "get", "G E T", "CONNECT", "TRACE", "X".repeat(300), "PRI", "\u00c9"))
            .as((version, target, method) -> new Probe.Http(method, target).version(version).bearer(KEY).probe("framing", "request line " + version));
    Arbitrary<Probe> headers =
        Combinators.combine(path, Arbitraries.of("no-host", "two-hosts", "bad-host", "huge-header", "no-colon", "fold", "nul", "high-bytes", "many", "expect-continue", "expect-odd", "empty-name", "space-before-colon"))
            .as((p, kind) -> {
              Probe.Http h = new Probe.Http("GET", p).bearer(keyFor(p));
              switch (kind) {
                case "no-host" -> h.header("Host", "").version("HTTP/1.1");
                case "two-hosts" -> h.header("Host", "127.0.0.1").header("Host", "evil.example");
                case "bad-host" -> h.header("Host", "exa mple:99999");
                case "huge-header" -> h.header("X-Big", "b".repeat(40_000));
                case "no-colon" -> h.header("X-NoColon\r\nBroken", "x");
                case "fold" -> h.header("X-Fold", "a\r\n  folded");
                case "nul" -> h.header("X-Nul", "a\u0000b");
                case "high-bytes" -> h.header("X-High", "\u00ff\u00fe");
                case "many" -> {
                  for (int i = 0; i < 300; i++) {
                    h.header("X-H" + i, "v");
                  }
                }
                case "expect-continue" -> h.header("Expect", "100-continue");
                case "expect-odd" -> h.header("Expect", "teapot");
                case "empty-name" -> h.header("", "x");
                default -> h.header("X-Space ", "x");
              }
              return h.probe("framing", "headers " + kind);
            });
    return Arbitraries.frequencyOf(Tuple.of(3, encodings), Tuple.of(2, chunks), Tuple.of(2, lengths), Tuple.of(3, lines), Tuple.of(2, headers));
  }

  // ---- the operations port: health checks, metrics

  static Arbitrary<Probe> ops() {
    // Not /threads (a thread dump names Java frames by design) and no POST to /tasks/* (operator
    // tasks such as log-level and gc change the process): the port is for operators.
    Arbitrary<String> paths = Arbitraries.oneOf(
        Arbitraries.of("/", "/healthcheck", "/healthcheck?pretty=true", "/healthcheck?x=%00", "/metrics", "/metrics?pretty=%FF", "/prometheus", "/prometheus?name[]=%00",
            "/ping", "/tasks", "/nothing", "/..", "/%2e%2e/etc", "/%C0%AF", "/" + "o".repeat(9000), "//healthcheck", "/healthcheck/%2F"),
        Hostile.segments().map(s -> "/" + s));
    return Combinators.combine(paths, Arbitraries.of("GET", "GET", "GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "FOO"))
        .as((p, method) -> new Probe.Http(method, p).opsProbe("ops"));
  }

  static Arbitrary<Probe> demoNotes() {
    return Arbitraries.oneOf(Hostile.almostJson(), Hostile.jsonValues(), Hostile.deepNesting())
        .map(b -> new Probe.Http("POST", "/demo/notes").json(b).probe("demo", "notes"));
  }
}
