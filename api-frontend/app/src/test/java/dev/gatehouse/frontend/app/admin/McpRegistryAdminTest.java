package dev.gatehouse.frontend.app.admin;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.JSON;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatehouse.frontend.core.auth.Caller;
import dev.gatehouse.frontend.core.auth.CallerSecurityContext;
import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.http.JsonBodies;
import dev.gatehouse.frontend.testing.TestGatehouse;
import dev.gatehouse.registry.mcp.McpCatalogDao;
import dev.gatehouse.registry.mcp.McpCatalogEntry;
import jakarta.ws.rs.core.SecurityContext;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code /admin/v1/mcp-servers} and {@code /admin/v1/virtual-servers}. */
class McpRegistryAdminTest {
  static TestGatehouse gh;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start();
  }

  @AfterAll
  static void stop() {
    gh.close();
  }

  static String tenant(String name) {
    HttpResponse<String> r = gh.post("/admin/v1/tenants", ADMIN_KEY, "{\"name\":\"" + name + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r).get("id").asText();
  }

  static String tenantAdmin(String tenant) {
    HttpResponse<String> r = gh.post("/admin/v1/admin-keys", ADMIN_KEY, "{\"name\":\"ops\",\"tenant\":\"" + tenant + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return json(r).get("key").asText();
  }

  static String code(HttpResponse<String> r) {
    return json(r).get("error").get("code").asText();
  }

  @Test
  void anMcpServerIsCreatedReadListedReplacedAndDeleted() {
    String body =
        """
        {"name": "everything", "transport": "streamable-http", "url": "http://127.0.0.1:3001/mcp",
         "headers": {"X-Api-Key": "{{secret:EVERYTHING_KEY}}"},
         "auth": {"type": "oauth2-client-credentials", "tokenUrl": "https://login.example/token",
                  "clientId": "gatehouse", "clientSecret": "{{secret:X}}", "scopes": ["mcp"]},
         "timeout": "30s", "connectTimeout": "5s",
         "retry": {"maxAttempts": 3, "initialInterval": "200ms", "backoff": 2.0, "maxInterval": "10s"},
         "execution": "auto", "toolExecution": {"write_file": "durable"}}
        """;
    HttpResponse<String> created = gh.post("/admin/v1/mcp-servers", ADMIN_KEY, body);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode server = json(created);
    assertThat(server.get("name").asText()).isEqualTo("everything");
    assertThat(server.get("tenantId").isNull()).isTrue();
    assertThat(server.get("headers").get("X-Api-Key").asText()).isEqualTo("{{secret:EVERYTHING_KEY}}");
    assertThat(server.get("toolExecution").get("write_file").asText()).isEqualTo("durable");

    HttpResponse<String> again = gh.post("/admin/v1/mcp-servers", ADMIN_KEY, body);
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(code(again)).isEqualTo("mcp_server_exists");

    // Before discovery has read it, nothing is counted; its status is unknown, or already down if
    // the discovery the create asked for has found nothing listening there (it runs at once, on
    // the server's own check thread, so a test cannot be sure to look first).
    JsonNode got = json(gh.get("/admin/v1/mcp-servers/everything", ADMIN_KEY));
    assertThat(got.get("transport").asText()).isEqualTo("streamable-http");
    assertThat(got.get("url").asText()).isEqualTo("http://127.0.0.1:3001/mcp");
    // Like the tools API, answers carry the stored definition: durations in seconds.
    assertThat(got.get("timeout").asDouble()).isEqualTo(30.0);
    assertThat(got.get("status").get("state").asText()).isIn("unknown", "down");
    assertThat(got.get("counts").toString()).isEqualTo("{\"tools\":0,\"resources\":0,\"resourceTemplates\":0,\"prompts\":0}");

    // Once discovery has run, both show.
    McpCatalogDao catalog = gh.db.jdbi().onDemand(McpCatalogDao.class);
    JsonNode empty = JsonNodeFactory.instance.objectNode();
    catalog.replace(
        "everything",
        List.of(
            new McpCatalogEntry("everything", McpCatalogEntry.TOOL, "echo", empty),
            new McpCatalogEntry("everything", McpCatalogEntry.TOOL, "add", empty),
            new McpCatalogEntry("everything", McpCatalogEntry.RESOURCE, "file:///a", empty),
            new McpCatalogEntry("everything", McpCatalogEntry.RESOURCE_TEMPLATE, "file:///{p}", empty),
            new McpCatalogEntry("everything", McpCatalogEntry.PROMPT, "greet", empty)),
        empty,
        empty);
    got = json(gh.get("/admin/v1/mcp-servers/everything", ADMIN_KEY));
    assertThat(got.get("status").get("state").asText()).isEqualTo("up");
    assertThat(got.get("status").get("refreshedAt").asText()).matches("\\d{4}-.*");
    assertThat(got.get("counts").toString()).isEqualTo("{\"tools\":2,\"resources\":1,\"resourceTemplates\":1,\"prompts\":1}");
    catalog.markDown("everything", "connection refused");
    got = json(gh.get("/admin/v1/mcp-servers/everything", ADMIN_KEY));
    assertThat(got.get("status").get("state").asText()).isEqualTo("down");
    assertThat(got.get("status").get("error").asText()).isEqualTo("connection refused");

    HttpResponse<String> listed = gh.get("/admin/v1/mcp-servers", ADMIN_KEY);
    assertThat(listed.statusCode()).isEqualTo(200);
    assertThat(json(listed).get("items").toString()).contains("\"everything\"");

    HttpResponse<String> replaced =
        gh.put("/admin/v1/mcp-servers/everything", ADMIN_KEY,
            "{\"transport\":\"sse\",\"url\":\"https://mcp.example/sse\",\"prefix\":\"\",\"execution\":\"direct\"}");
    assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(200);
    assertThat(json(replaced).get("transport").asText()).isEqualTo("sse");
    assertThat(json(replaced).get("prefix").asText()).isEmpty();
    assertThat(json(replaced).get("headers").size()).isZero();
    HttpResponse<String> renamed =
        gh.put("/admin/v1/mcp-servers/everything", ADMIN_KEY, "{\"name\":\"other\",\"transport\":\"sse\",\"url\":\"https://x/sse\"}");
    assertThat(renamed.statusCode()).isEqualTo(400);
    assertThat(code(renamed)).isEqualTo("invalid_request");

    HttpResponse<String> refreshed = gh.post("/admin/v1/mcp-servers/everything/refresh", ADMIN_KEY, "");
    assertThat(refreshed.statusCode()).isEqualTo(202);
    assertThat(json(refreshed).toString()).isEqualTo("{\"server\":\"everything\"}");
    assertThat(gh.post("/admin/v1/mcp-servers/nope/refresh", ADMIN_KEY, "").statusCode()).isEqualTo(404);

    assertThat(gh.delete("/admin/v1/mcp-servers/everything", ADMIN_KEY).statusCode()).isEqualTo(204);
    HttpResponse<String> gone = gh.get("/admin/v1/mcp-servers/everything", ADMIN_KEY);
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(code(gone)).isEqualTo("mcp_server_not_found");
    assertThat(gh.delete("/admin/v1/mcp-servers/everything", ADMIN_KEY).statusCode()).isEqualTo(404);
  }

  @Test
  void aStdioServerAndItsChecks() {
    HttpResponse<String> created =
        gh.post("/admin/v1/mcp-servers", ADMIN_KEY,
            "{\"name\":\"files\",\"transport\":\"stdio\",\"command\":\"npx\",\"args\":[\"-y\",\"server-filesystem\"],"
                + "\"env\":{\"TOKEN\":\"{{secret:FILES}}\"},\"workingDir\":\"/srv\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(json(created).get("args").toString()).isEqualTo("[\"-y\",\"server-filesystem\"]");
    assertThat(json(created).get("env").get("TOKEN").asText()).isEqualTo("{{secret:FILES}}");

    for (String[] bad : new String[][] {
        {"{\"name\":\"a.b\",\"transport\":\"sse\",\"url\":\"http://x/sse\"}", "name"},
        {"{\"name\":\"s\",\"url\":\"http://x/sse\"}", "transport is required"},
        {"{\"name\":\"s\",\"transport\":\"ws\",\"url\":\"http://x/sse\"}", "transport must be one of"},
        {"{\"name\":\"s\",\"transport\":\"sse\"}", "url is required"},
        {"{\"name\":\"s\",\"transport\":\"sse\",\"url\":\"ftp://x\"}", "url must be an absolute"},
        {"{\"name\":\"s\",\"transport\":\"stdio\"}", "command is required for stdio"},
        {"{\"name\":\"s\",\"transport\":\"stdio\",\"command\":\"x\",\"url\":\"http://x/sse\"}", "url is not allowed for stdio"},
        {"{\"name\":\"s\",\"transport\":\"sse\",\"url\":\"http://x/sse\",\"command\":\"x\"}", "command is only for stdio"},
        {"{\"name\":\"s\",\"transport\":\"sse\",\"url\":\"http://x/sse\",\"prefix\":\"a.b\"}", "prefix"},
        {"{\"name\":\"s\",\"transport\":\"sse\",\"url\":\"http://x/sse\",\"execution\":\"never\"}", "execution"},
        {"{\"name\":\"s\",\"transport\":\"sse\",\"url\":\"http://x/sse\",\"toolExecution\":{\"t\":\"never\"}}", "toolExecution.t"},
        {"{\"name\":\"s\",\"transport\":\"sse\",\"url\":\"http://x/sse\",\"timeout\":\"soon\"}", "timeout"},
        {"{\"name\":\"s\",\"transport\":\"sse\",\"url\":\"http://x/sse\",\"headers\":{\"X\":\"{{secret:}}\"}}", "headers.X"},
        {"{\"name\":\"s\",\"transport\":\"sse\",\"url\":\"http://x/sse\",\"auth\":{\"type\":\"oauth2-client-credentials\","
            + "\"tokenUrl\":\"http://x/t\",\"clientId\":\"c\",\"clientSecret\":\"plain\"}}", "clientSecret"}}) {
      HttpResponse<String> r = gh.post("/admin/v1/mcp-servers", ADMIN_KEY, bad[0]);
      assertThat(r.statusCode()).as(bad[0] + " " + r.body()).isEqualTo(422);
      assertThat(code(r)).isEqualTo("invalid_mcp_server");
      assertThat(json(r).get("error").get("message").asText()).as(bad[0]).contains(bad[1]);
    }
    // Unknown fields and bodies that are not objects are 400, like every admin endpoint.
    HttpResponse<String> typo = gh.post("/admin/v1/mcp-servers", ADMIN_KEY, "{\"name\":\"s\",\"transprt\":\"sse\"}");
    assertThat(typo.statusCode()).isEqualTo(400);
    assertThat(code(typo)).isEqualTo("invalid_request");
    assertThat(gh.post("/admin/v1/mcp-servers", ADMIN_KEY, "{").statusCode()).isEqualTo(400);
  }

  /** A stdio server is a command run on Gatehouse's hosts: a tenant admin may not name one, for its own tenant or not. */
  @Test
  void onlyAPlatformAdminRegistersAStdioServer() throws Exception {
    String mine = tenant("mcp-stdio");
    String admin = tenantAdmin(mine);
    java.nio.file.Path marker = java.nio.file.Files.createTempFile("gatehouse-stdio", ".ran");
    java.nio.file.Files.delete(marker);
    String stdio = "\"transport\":\"stdio\",\"command\":\"/bin/sh\",\"args\":[\"-c\",\"touch " + marker + "\"]";
    HttpResponse<String> created = gh.post("/admin/v1/mcp-servers", admin, "{\"name\":\"own-shell\",\"tenant\":\"" + mine + "\"," + stdio + "}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(403);
    assertThat(code(created)).isEqualTo("forbidden");
    assertThat(json(created).get("error").get("message").asText()).contains("platform admin");

    // Nor turn its own server into one.
    assertThat(gh.post("/admin/v1/mcp-servers", admin,
        "{\"name\":\"own-http\",\"tenant\":\"" + mine + "\",\"transport\":\"sse\",\"url\":\"http://x/sse\"}").statusCode()).isEqualTo(201);
    HttpResponse<String> replaced = gh.put("/admin/v1/mcp-servers/own-http", admin, "{\"tenant\":\"" + mine + "\"," + stdio + "}");
    assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(403);
    assertThat(json(gh.get("/admin/v1/mcp-servers/own-http", admin)).get("transport").asText()).isEqualTo("sse");
    assertThat(gh.get("/admin/v1/mcp-servers/own-shell", ADMIN_KEY).statusCode()).isEqualTo(404);

    // A platform admin may, for a tenant too; the tenant admin may then delete it but not rewrite it.
    assertThat(gh.post("/admin/v1/mcp-servers", ADMIN_KEY,
        "{\"name\":\"their-files\",\"tenant\":\"" + mine + "\",\"transport\":\"stdio\",\"command\":\"npx\",\"args\":[\"-y\",\"server-filesystem\"]}").statusCode()).isEqualTo(201);
    assertThat(gh.put("/admin/v1/mcp-servers/their-files", admin, "{\"tenant\":\"" + mine + "\"," + stdio + "}").statusCode()).isEqualTo(403);
    assertThat(gh.delete("/admin/v1/mcp-servers/their-files", admin).statusCode()).isEqualTo(204);
    Thread.sleep(500);
    assertThat(marker).as("no command of the tenant admin ran").doesNotExist();
  }

  @Test
  void aTenantAdminSeesAndChangesOnlyItsTenantsServers() {
    String mine = tenant("mcp-mine");
    String theirs = tenant("mcp-theirs");
    String admin = tenantAdmin(mine);
    assertThat(gh.post("/admin/v1/mcp-servers", ADMIN_KEY,
        "{\"name\":\"global-srv\",\"transport\":\"sse\",\"url\":\"http://x/sse\"}").statusCode()).isEqualTo(201);
    assertThat(gh.post("/admin/v1/mcp-servers", ADMIN_KEY,
        "{\"name\":\"their-srv\",\"tenant\":\"" + theirs + "\",\"transport\":\"sse\",\"url\":\"http://x/sse\"}").statusCode()).isEqualTo(201);
    assertThat(gh.post("/admin/v1/virtual-servers", ADMIN_KEY,
        "{\"name\":\"global-vs\",\"tools\":[\"*\"]}").statusCode()).isEqualTo(201);
    assertThat(gh.post("/admin/v1/virtual-servers", ADMIN_KEY,
        "{\"name\":\"their-vs\",\"tenant\":\"" + theirs + "\",\"tools\":[\"*\"]}").statusCode()).isEqualTo(201);

    // Their servers answer 404 to every verb, like missing ones.
    for (HttpResponse<String> r : List.of(
        gh.get("/admin/v1/mcp-servers/their-srv", admin),
        gh.put("/admin/v1/mcp-servers/their-srv", admin, "{\"tenant\":\"" + mine + "\",\"transport\":\"sse\",\"url\":\"http://y/sse\"}"),
        gh.delete("/admin/v1/mcp-servers/their-srv", admin),
        gh.post("/admin/v1/mcp-servers/their-srv/refresh", admin, ""),
        gh.post("/admin/v1/mcp-servers", admin, "{\"name\":\"sneaky\",\"tenant\":\"" + theirs + "\",\"transport\":\"sse\",\"url\":\"http://x/sse\"}"),
        gh.get("/admin/v1/virtual-servers/their-vs", admin),
        gh.put("/admin/v1/virtual-servers/their-vs", admin, "{\"tenant\":\"" + mine + "\",\"tools\":[\"a\"]}"),
        gh.delete("/admin/v1/virtual-servers/their-vs", admin),
        gh.post("/admin/v1/virtual-servers", admin, "{\"name\":\"sneaky\",\"tenant\":\"" + theirs + "\",\"tools\":[\"a\"]}"))) {
      assertThat(r.statusCode()).as(r.request().method() + " " + r.request().uri() + " " + r.body()).isEqualTo(404);
    }
    // Global ones are visible but only platform admins change them.
    assertThat(gh.get("/admin/v1/mcp-servers/global-srv", admin).statusCode()).isEqualTo(200);
    assertThat(gh.get("/admin/v1/virtual-servers/global-vs", admin).statusCode()).isEqualTo(200);
    for (HttpResponse<String> r : List.of(
        gh.put("/admin/v1/mcp-servers/global-srv", admin, "{\"transport\":\"sse\",\"url\":\"http://y/sse\"}"),
        gh.delete("/admin/v1/mcp-servers/global-srv", admin),
        gh.post("/admin/v1/mcp-servers/global-srv/refresh", admin, ""),
        gh.post("/admin/v1/mcp-servers", admin, "{\"name\":\"new-global\",\"transport\":\"sse\",\"url\":\"http://x/sse\"}"),
        gh.put("/admin/v1/virtual-servers/global-vs", admin, "{\"tools\":[\"a\"]}"),
        gh.delete("/admin/v1/virtual-servers/global-vs", admin),
        gh.post("/admin/v1/virtual-servers", admin, "{\"name\":\"new-global\",\"tools\":[\"a\"]}"))) {
      assertThat(r.statusCode()).as(r.request().method() + " " + r.request().uri() + " " + r.body()).isEqualTo(403);
      assertThat(code(r)).isEqualTo("forbidden");
    }

    // Within its tenant it works, and a name taken by anyone is a conflict.
    HttpResponse<String> own = gh.post("/admin/v1/mcp-servers", admin,
        "{\"name\":\"my-srv\",\"tenant\":\"" + mine + "\",\"transport\":\"streamable-http\",\"url\":\"http://x/mcp\"}");
    assertThat(own.statusCode()).as(own.body()).isEqualTo(201);
    assertThat(json(own).get("tenantId").asText()).isEqualTo(mine);
    HttpResponse<String> clash = gh.post("/admin/v1/mcp-servers", admin,
        "{\"name\":\"global-srv\",\"tenant\":\"" + mine + "\",\"transport\":\"sse\",\"url\":\"http://x/sse\"}");
    assertThat(clash.statusCode()).isEqualTo(409);
    assertThat(code(clash)).isEqualTo("mcp_server_exists");
    assertThat(gh.put("/admin/v1/mcp-servers/my-srv", admin,
        "{\"tenant\":\"" + mine + "\",\"transport\":\"sse\",\"url\":\"http://y/sse\"}").statusCode()).isEqualTo(200);
    // A replacement that names no tenant keeps the owner; one that names another is refused.
    HttpResponse<String> kept = gh.put("/admin/v1/mcp-servers/my-srv", ADMIN_KEY, "{\"transport\":\"sse\",\"url\":\"http://y/sse\"}");
    assertThat(kept.statusCode()).as(kept.body()).isEqualTo(200);
    assertThat(json(kept).get("tenantId").asText()).isEqualTo(mine);
    HttpResponse<String> owner = gh.put("/admin/v1/mcp-servers/my-srv", ADMIN_KEY,
        "{\"tenant\":\"" + theirs + "\",\"transport\":\"sse\",\"url\":\"http://y/sse\"}");
    assertThat(owner.statusCode()).isEqualTo(400);
    assertThat(json(owner).get("error").get("message").asText()).contains("owner");
    assertThat(gh.post("/admin/v1/mcp-servers/my-srv/refresh", admin, "").statusCode()).isEqualTo(202);
    HttpResponse<String> ownVs = gh.post("/admin/v1/virtual-servers", admin, "{\"name\":\"my-vs\",\"tenant\":\"" + mine + "\",\"tools\":[\"my-srv.*\"]}");
    assertThat(ownVs.statusCode()).as(ownVs.body()).isEqualTo(201);

    // Lists show the tenant's own and the global ones.
    String servers = gh.get("/admin/v1/mcp-servers?limit=200", admin).body();
    assertThat(servers).contains("my-srv").contains("global-srv").doesNotContain("their-srv");
    assertThat(gh.get("/admin/v1/mcp-servers?tenant=" + theirs, admin).body()).doesNotContain("their-srv");
    String virtuals = gh.get("/admin/v1/virtual-servers?limit=200", admin).body();
    assertThat(virtuals).contains("my-vs").contains("global-vs").doesNotContain("their-vs");
    assertThat(gh.get("/admin/v1/mcp-servers?tenant=" + theirs, ADMIN_KEY).body()).contains("their-srv").doesNotContain("my-srv");

    assertThat(gh.delete("/admin/v1/mcp-servers/my-srv", admin).statusCode()).isEqualTo(204);
    assertThat(gh.delete("/admin/v1/virtual-servers/my-vs", admin).statusCode()).isEqualTo(204);
  }

  static String server(String name, String tenant, String prefix) {
    return "{\"name\":\"" + name + "\"" + (tenant == null ? "" : ",\"tenant\":\"" + tenant + "\"")
        + (prefix == null ? "" : ",\"prefix\":\"" + prefix + "\"") + ",\"transport\":\"sse\",\"url\":\"http://x/sse\"}";
  }

  @Test
  void twoServersTheSameAgentsSeeCannotShareAPrefix() {
    String one = tenant("prefix-one");
    String two = tenant("prefix-two");
    String oneAdmin = tenantAdmin(one);
    assertThat(gh.post("/admin/v1/mcp-servers", ADMIN_KEY, server("px-a", null, "shared")).statusCode()).isEqualTo(201);

    // Another global server, a tenant's, or one whose name is the prefix: each would hide px-a's tools.
    for (HttpResponse<String> r : List.of(
        gh.post("/admin/v1/mcp-servers", ADMIN_KEY, server("px-b", null, "shared")),
        gh.post("/admin/v1/mcp-servers", oneAdmin, server("px-c", one, "shared")),
        gh.post("/admin/v1/mcp-servers", ADMIN_KEY, server("shared", null, null)))) {
      assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
      assertThat(code(r)).isEqualTo("mcp_prefix_taken");
      assertThat(json(r).get("error").get("message").asText()).contains("px-a").contains("'shared.*'");
    }
    for (String name : List.of("px-b", "px-c", "shared")) {
      assertThat(gh.get("/admin/v1/mcp-servers/" + name, ADMIN_KEY).statusCode()).isEqualTo(404);
    }

    // Two tenants' servers may share one, as no agent sees both; a global server then may not take it.
    assertThat(gh.post("/admin/v1/mcp-servers", oneAdmin, server("px-one", one, "tp")).statusCode()).isEqualTo(201);
    assertThat(gh.post("/admin/v1/mcp-servers", ADMIN_KEY, server("px-two", two, "tp")).statusCode()).isEqualTo(201);
    HttpResponse<String> global = gh.post("/admin/v1/mcp-servers", ADMIN_KEY, server("px-global", null, "tp"));
    assertThat(global.statusCode()).as(global.body()).isEqualTo(409);
    assertThat(code(global)).isEqualTo("mcp_prefix_taken");
    HttpResponse<String> sameTenant = gh.put("/admin/v1/mcp-servers/px-one", oneAdmin, server("px-one", one, "shared"));
    assertThat(sameTenant.statusCode()).as(sameTenant.body()).isEqualTo(409);
    assertThat(json(gh.get("/admin/v1/mcp-servers/px-one", ADMIN_KEY)).get("prefix").asText()).isEqualTo("tp");

    // Servers without a prefix are not checked; a prefix given up is free again.
    assertThat(gh.post("/admin/v1/mcp-servers", ADMIN_KEY, server("px-bare1", null, "")).statusCode()).isEqualTo(201);
    assertThat(gh.post("/admin/v1/mcp-servers", ADMIN_KEY, server("px-bare2", null, "")).statusCode()).isEqualTo(201);
    assertThat(gh.put("/admin/v1/mcp-servers/px-a", ADMIN_KEY, server("px-a", null, "moved")).statusCode()).isEqualTo(200);
    assertThat(gh.post("/admin/v1/mcp-servers", ADMIN_KEY, server("px-b", null, "shared")).statusCode()).isEqualTo(201);

    for (String name : List.of("px-a", "px-b", "px-one", "px-two", "px-bare1", "px-bare2")) {
      assertThat(gh.delete("/admin/v1/mcp-servers/" + name, ADMIN_KEY).statusCode()).isEqualTo(204);
    }
  }

  @Test
  void virtualServersAreCreatedReadListedReplacedAndDeleted() {
    HttpResponse<String> created = gh.post("/admin/v1/virtual-servers", ADMIN_KEY,
        "{\"name\":\"readers\",\"description\":\"Read-only tools\",\"tools\":[\"everything.echo\",\"weather.*\"]}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(json(created).get("tools").toString()).isEqualTo("[\"everything.echo\",\"weather.*\"]");
    HttpResponse<String> again = gh.post("/admin/v1/virtual-servers", ADMIN_KEY, "{\"name\":\"readers\",\"tools\":[\"x\"]}");
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(code(again)).isEqualTo("virtual_server_exists");
    assertThat(json(gh.get("/admin/v1/virtual-servers/readers", ADMIN_KEY)).get("description").asText()).isEqualTo("Read-only tools");
    HttpResponse<String> replaced = gh.put("/admin/v1/virtual-servers/readers", ADMIN_KEY, "{\"tools\":[\"weather.*\"]}");
    assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(200);
    assertThat(json(replaced).get("tools").toString()).isEqualTo("[\"weather.*\"]");
    for (String[] bad : new String[][] {
        {"{\"name\":\"a.b\",\"tools\":[\"x\"]}", "name"},
        {"{\"name\":\"v\"}", "tools is required"},
        {"{\"name\":\"v\",\"tools\":[]}", "tools is required"},
        {"{\"name\":\"v\",\"tools\":[\"\"]}", "tools[0]"}}) {
      HttpResponse<String> r = gh.post("/admin/v1/virtual-servers", ADMIN_KEY, bad[0]);
      assertThat(r.statusCode()).as(bad[0] + " " + r.body()).isEqualTo(422);
      assertThat(code(r)).isEqualTo("invalid_virtual_server");
      assertThat(json(r).get("error").get("message").asText()).contains(bad[1]);
    }
    assertThat(gh.delete("/admin/v1/virtual-servers/readers", ADMIN_KEY).statusCode()).isEqualTo(204);
    HttpResponse<String> gone = gh.get("/admin/v1/virtual-servers/readers", ADMIN_KEY);
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(code(gone)).isEqualTo("virtual_server_not_found");
  }

  @Test
  void listingsPageWithCursors() {
    Set<String> created = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      String name = "paged-srv-" + i;
      assertThat(gh.post("/admin/v1/mcp-servers", ADMIN_KEY,
          "{\"name\":\"" + name + "\",\"transport\":\"sse\",\"url\":\"http://x/sse\"}").statusCode()).isEqualTo(201);
      created.add(name);
    }
    List<String> seen = new ArrayList<>();
    String cursor = null;
    do {
      JsonNode page = json(gh.get("/admin/v1/mcp-servers?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), ADMIN_KEY));
      page.get("items").forEach(s -> seen.add(s.get("name").asText()));
      cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
    } while (cursor != null);
    assertThat(seen).containsAll(created).doesNotHaveDuplicates();
    assertThat(gh.get("/admin/v1/mcp-servers?limit=500", ADMIN_KEY).statusCode()).isEqualTo(400);
    assertThat(gh.get("/admin/v1/virtual-servers?limit=0", ADMIN_KEY).statusCode()).isEqualTo(400);
  }

  @Test
  void everyWriteIsAudited() throws Exception {
    String t = tenant("mcp-audited");
    gh.post("/admin/v1/mcp-servers", ADMIN_KEY, "{\"name\":\"audited\",\"tenant\":\"" + t + "\",\"transport\":\"sse\",\"url\":\"http://x/sse\"}");
    gh.put("/admin/v1/mcp-servers/audited", ADMIN_KEY, "{\"tenant\":\"" + t + "\",\"transport\":\"sse\",\"url\":\"http://y/sse\"}");
    gh.post("/admin/v1/mcp-servers/audited/refresh", ADMIN_KEY, "");
    gh.delete("/admin/v1/mcp-servers/audited", ADMIN_KEY);
    gh.post("/admin/v1/virtual-servers", ADMIN_KEY, "{\"name\":\"audited-vs\",\"tenant\":\"" + t + "\",\"tools\":[\"a\"]}");
    gh.put("/admin/v1/virtual-servers/audited-vs", ADMIN_KEY, "{\"tenant\":\"" + t + "\",\"tools\":[\"b\"]}");
    gh.delete("/admin/v1/virtual-servers/audited-vs", ADMIN_KEY);
    gh.application().audit().flush();
    List<String> rows = new ArrayList<>();
    json(gh.get("/admin/v1/audit?tenant=" + t + "&limit=200", ADMIN_KEY)).get("items")
        .forEach(r -> rows.add(r.get("action").asText() + " " + r.get("target").asText()));
    assertThat(rows).contains(
        "admin.create mcp-server:audited",
        "admin.update mcp-server:audited",
        "admin.refresh mcp-server:audited",
        "admin.delete mcp-server:audited",
        "admin.create virtual-server:audited-vs",
        "admin.update virtual-server:audited-vs",
        "admin.delete virtual-server:audited-vs");
  }

  @Test
  void theRegistryFileCarriesServersOverTheAdminApi() {
    String yaml = """
        mcpServers:
          - {name: filed-srv, transport: stdio, command: npx, args: [-y, some-server], prefix: ""}
        virtualServers:
          - {name: filed-vs, tools: ["filed-srv.*"]}
        tenants:
          - name: mcp-from-file
            mcpServers:
              - {name: filed-tenant-srv, transport: streamable-http, url: "http://127.0.0.1:9/mcp", timeout: 20s}
        """;
    HttpResponse<String> applied = gh.put("/admin/v1/registry", ADMIN_KEY, yaml);
    assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
    assertThat(json(applied).get("mcpServers").asInt()).isEqualTo(2);
    assertThat(json(applied).get("virtualServers").asInt()).isEqualTo(1);
    assertThat(json(gh.put("/admin/v1/registry", ADMIN_KEY, yaml)).get("changed").asInt()).isZero();
    assertThat(json(gh.get("/admin/v1/mcp-servers/filed-srv", ADMIN_KEY)).get("command").asText()).isEqualTo("npx");
    assertThat(json(gh.get("/admin/v1/mcp-servers/filed-tenant-srv", ADMIN_KEY)).get("tenantId").asText()).startsWith("ten_");
    String exported = gh.get("/admin/v1/registry", ADMIN_KEY).body();
    assertThat(exported).contains("filed-srv").contains("filed-vs").contains("filed-tenant-srv").contains("timeout: 20s");
    HttpResponse<String> bad = gh.put("/admin/v1/registry", ADMIN_KEY, "mcpServers: [{name: 'a.b', transport: sse, url: 'http://x/sse'}]");
    assertThat(bad.statusCode()).isEqualTo(422);
    assertThat(code(bad)).isEqualTo("invalid_registry");
  }

  @Test
  void theChangeHookHearsOfEveryCommittedChangeAndEveryRefresh() {
    List<String> heard = new ArrayList<>();
    AdminContext ctx = new AdminContext(gh.db.jdbi(), new JsonBodies(JSON, 1 << 20), gh.application().audit(), null);
    McpServersResource resource = new McpServersResource(ctx, heard::add);
    SecurityContext platform = security(new Caller.AdminCaller("adm_hook", null));

    assertThat(resource.create(platform, body("{\"name\":\"hooked\",\"transport\":\"sse\",\"url\":\"http://x/sse\"}")).getStatus())
        .isEqualTo(201);
    resource.replace(platform, "hooked", null, body("{\"transport\":\"sse\",\"url\":\"http://y/sse\"}"));
    assertThat(resource.refresh(platform, "hooked").getStatus()).isEqualTo(202);
    assertThat(resource.delete(platform, "hooked", null).getStatus()).isEqualTo(204);
    assertThat(heard).containsExactly("hooked", "hooked", "hooked", "hooked");

    // Nothing is heard of a change that did not happen.
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> resource.delete(platform, "hooked", null)).isInstanceOf(ApiException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> resource.create(platform, body("{\"name\":\"x\",\"transport\":\"sse\"}")))
        .isInstanceOf(ApiException.class);
    assertThat(heard).hasSize(4);

    // A failing listener does not undo or fail a committed change.
    McpServersResource failing = new McpServersResource(ctx, name -> { throw new IllegalStateException("boom"); });
    assertThat(failing.create(platform, body("{\"name\":\"hooked2\",\"transport\":\"sse\",\"url\":\"http://x/sse\"}")).getStatus())
        .isEqualTo(201);
    assertThat(failing.delete(platform, "hooked2", null).getStatus()).isEqualTo(204);
  }

  private static ByteArrayInputStream body(String json) {
    return new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8));
  }

  private static SecurityContext security(Caller.AdminCaller caller) {
    return new CallerSecurityContext(caller, false);
  }
}
