package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.RegistryFixtures.MCP;
import static dev.gatehouse.registry.yaml.RegistryFixtures.TENANTS;
import static dev.gatehouse.registry.yaml.RegistryFixtures.TOOLS;
import static dev.gatehouse.registry.yaml.RegistryFixtures.registry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.registry.agents.AgentDao;
import dev.gatehouse.registry.idp.IdentityProvider;
import dev.gatehouse.registry.idp.IdentityProviderDao;
import dev.gatehouse.registry.mcp.McpPrefixTaken;
import dev.gatehouse.registry.mcp.McpServerDao;
import dev.gatehouse.registry.mcp.McpServerDefinition;
import dev.gatehouse.registry.mcp.VirtualServerDao;
import dev.gatehouse.registry.models.ProviderDao;
import dev.gatehouse.registry.tenants.Tenant;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.tools.ToolDao;
import dev.gatehouse.registry.tools.ToolDefinition;
import java.time.Duration;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/** A checked registry applied to PostgreSQL: idempotent, counted, nothing removed, and exported back. */
class RegistryApplierTest {

  @Test
  void aWholeRegistryAppliesIdempotentlyAndExportsBackToTheSameRegistry() {
    try (TestDatabase db = TestDatabase.create(); TestDatabase copy = TestDatabase.create()) {
      Registry registry = registry(TENANTS);
      RegistryApplier.ApplyResult first = RegistryApplier.apply(db.jdbi(), registry);
      assertThat(first).isEqualTo(new RegistryApplier.ApplyResult(1, 1, 1, 4, 0, 0, 1 + 1 + 1 + 4));
      // The counts are of the file's entries; only "changed" says what the database needed.
      assertThat(RegistryApplier.apply(db.jdbi(), registry)).isEqualTo(new RegistryApplier.ApplyResult(1, 1, 1, 4, 0, 0, 0));

      String exported = RegistryExporter.toYaml(RegistryExporter.export(db.jdbi()));
      assertThat(exported).contains("name: acme").contains("svc-planner").contains("{{secret:crm-token}}").contains("timeout: 5s")
          .contains("approval: required")
          .contains("cost: 0.02")
          .contains("destructive: true");
      // Applying the export elsewhere gives the same registry, and re-applying it changes nothing.
      RegistryApplier.apply(copy.jdbi(), registry(exported));
      assertThat(RegistryExporter.toYaml(RegistryExporter.export(copy.jdbi()))).isEqualTo(exported);
      assertThat(RegistryApplier.apply(db.jdbi(), registry(exported)).changed()).isZero();

      var crm = db.jdbi().onDemand(ToolDao.class).find("acme.crm").orElseThrow();
      assertThat(crm.tenantId()).startsWith("ten_");
      assertThat(crm.approvalRequired()).isFalse();
      assertThat(db.jdbi().onDemand(ToolDao.class).find("acme.billing").orElseThrow().approvalRequired()).isTrue();
      assertThat(db.jdbi().onDemand(ToolDao.class).find("acme.billing").orElseThrow().cost()).isEqualByComparingTo("0.02");
      assertThat(db.jdbi().onDemand(ToolDao.class).find("weather.lookup").orElseThrow().tenantId()).isNull();
    }
  }

  @Test
  void textThatLooksLikeANumberExportsQuotedAndReadsBackAsTheSameText() {
    String[] looks = {"0x10", "1e3", "+12", "1_000", "0b1", ".5", "-0", "1.", ".inf", "-.inf", ".nan", "yes", "~", "null", "12:30", "a\u2028b"};
    StringBuilder tools = new StringBuilder("tools:\n");
    for (int i = 0; i < looks.length; i++) {
      tools.append("  - name: t").append(i).append("\n    description: \"").append(looks[i]).append("\"\n")
          .append("    http: {url: 'https://x.example/t', headers: {X-V: \"").append(looks[i]).append("\"}}\n");
    }
    try (TestDatabase db = TestDatabase.create()) {
      RegistryApplier.apply(db.jdbi(), registry(tools.toString()));
      String exported = RegistryExporter.toYaml(RegistryExporter.export(db.jdbi()));
      assertThat(RegistryApplier.apply(db.jdbi(), registry(exported)).changed()).as(exported).isZero();
      ToolDao dao = db.jdbi().onDemand(ToolDao.class);
      for (int i = 0; i < looks.length; i++) {
        assertThat(dao.find("t" + i).orElseThrow().description()).isEqualTo(looks[i]);
      }
    }
  }

  @Test
  void applyingTwiceChangesNothingTheSecondTime() {
    try (TestDatabase db = TestDatabase.create()) {
      var jdbi = db.jdbi();
      assertThat(RegistryApplier.apply(jdbi, registry(TOOLS)).changed()).isEqualTo(2);
      assertThat(RegistryApplier.apply(jdbi, registry(TOOLS)).changed()).isZero();
      String changed = TOOLS.replace("timeout: 5s", "timeout: 7s");
      assertThat(RegistryApplier.apply(jdbi, registry(changed)).changed()).isEqualTo(1);
      ToolDao dao = jdbi.onDemand(ToolDao.class);
      assertThat(dao.find("weather.lookup").orElseThrow().timeout()).isEqualTo(Duration.ofSeconds(7));
      assertThat(dao.list()).extracting(ToolDefinition::name).containsExactly("notes.save", "weather.lookup");
      assertThat(dao.find("missing")).isEmpty();
    }
  }

  /**
   * Two replicas starting at once with the same registry file: the second waits for the first and
   * then changes nothing. It looked up a new tenant while the first had inserted it uncommitted,
   * inserted it too, and failed on the tenant's unique name (the replica died at start).
   */
  @Test
  void twoAppliesOfOneFileAtOnceBothSucceedTheSecondChangingNothing() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      // Tenants and agents only: a tool's upsert would make the second wait (and then update) before it looked tenants up.
      Registry registry = registry("tenants:\n  - name: acme\n    agents:\n      - name: planner\n");
      try (org.jdbi.v3.core.Handle first = db.jdbi().open()) {
        first.begin();
        RegistryApplier.ApplyResult one = RegistryApplier.apply(first, registry);
        java.util.concurrent.CompletableFuture<RegistryApplier.ApplyResult> second =
            java.util.concurrent.CompletableFuture.supplyAsync(() -> RegistryApplier.apply(db.jdbi(), registry));
        Thread.sleep(300);
        assertThat(second).as("the second waits for the first").isNotDone();
        first.commit();
        assertThat(second.get(20, java.util.concurrent.TimeUnit.SECONDS).changed()).isZero();
        assertThat(one.changed()).isPositive();
      }
      assertThat(db.jdbi().onDemand(TenantDao.class).findByName("acme")).isPresent();
    }
  }

  @Test
  void eachChangedEntryCountsOnceAndKeepsItsId() {
    try (TestDatabase db = TestDatabase.create()) {
      Jdbi jdbi = db.jdbi();
      RegistryApplier.apply(jdbi, registry(TENANTS));
      Tenant acme = jdbi.onDemand(TenantDao.class).findByName("acme").orElseThrow();
      Agent planner = jdbi.onDemand(AgentDao.class).findByName(acme.id(), "planner").orElseThrow();
      IdentityProvider corp = jdbi.onDemand(IdentityProviderDao.class).list(acme.id()).get(0);

      // Each file differs in one thing from the one applied before it.
      String denied = TENANTS.replace("deny: [\"weather.admin\"]", "deny: [\"weather.*\"]");
      assertThat(changes(jdbi, denied)).isEqualTo(1);
      Agent afterDeny = jdbi.onDemand(AgentDao.class).findByName(acme.id(), "planner").orElseThrow();
      assertThat(afterDeny.id()).isEqualTo(planner.id());
      assertThat(afterDeny.permissions().tools().deny()).containsExactly("weather.*");

      String resubjected = denied.replace("subject: svc-planner", "subject: svc-planner-2");
      assertThat(changes(jdbi, resubjected)).isEqualTo(1);
      assertThat(jdbi.onDemand(AgentDao.class).find(planner.id()).orElseThrow().subject()).isEqualTo("svc-planner-2");

      String reaudienced = resubjected.replace("audience: gatehouse", "audience: gatehouse-2");
      assertThat(changes(jdbi, reaudienced)).isEqualTo(1);
      assertThat(jdbi.onDemand(IdentityProviderDao.class).list(acme.id()))
          .singleElement()
          .satisfies(p -> assertThat(p.id()).isEqualTo(corp.id()))
          .satisfies(p -> assertThat(p.audience()).isEqualTo("gatehouse-2"));

      String moved = reaudienced.replace("https://billing.acme.example/charge", "https://billing.acme.example/v2/charge");
      assertThat(changes(jdbi, moved)).isEqualTo(1);
      assertThat(jdbi.onDemand(ToolDao.class).find("acme.billing").orElseThrow().tenantId()).isEqualTo(acme.id());

      // A second tenant counts as itself and its one agent.
      String twoTenants = moved + "  - name: globex\n    agents: [{name: bot}]\n";
      assertThat(changes(jdbi, twoTenants)).isEqualTo(2);
      assertThat(changes(jdbi, twoTenants)).isZero();
      assertThat(jdbi.onDemand(TenantDao.class).findByName("acme").orElseThrow().id()).isEqualTo(acme.id());
    }
  }

  @Test
  void appliesMcpServersIdempotentlyAndExportsBackToTheSameRegistry() {
    try (TestDatabase db = TestDatabase.create(); TestDatabase copy = TestDatabase.create()) {
      RegistryApplier.ApplyResult first = RegistryApplier.apply(db.jdbi(), registry(MCP));
      assertThat(first).isEqualTo(new RegistryApplier.ApplyResult(1, 0, 0, 0, 4, 2, 1 + 4 + 2));
      assertThat(RegistryApplier.apply(db.jdbi(), registry(MCP)).changed()).isZero();

      McpServerDao servers = db.jdbi().onDemand(McpServerDao.class);
      assertThat(servers.find("everything").orElseThrow()).isEqualTo(registry(MCP).mcpServers().get(0));
      assertThat(servers.find("everything").orElseThrow().tenantId()).isNull();
      assertThat(servers.find("files").orElseThrow().prefix()).isEmpty();
      assertThat(servers.find("acme-crm").orElseThrow().tenantId()).startsWith("ten_");
      VirtualServerDao virtuals = db.jdbi().onDemand(VirtualServerDao.class);
      assertThat(virtuals.find("readers").orElseThrow().tenantId()).isNull();
      assertThat(virtuals.find("acme-desk").orElseThrow().tenantId()).startsWith("ten_");

      String exported = RegistryExporter.toYaml(RegistryExporter.export(db.jdbi()));
      assertThat(exported)
          .contains("mcpServers:")
          .contains("virtualServers:")
          .contains("{{secret:EVERYTHING_KEY}}")
          .contains("timeout: 30s")
          .contains("connectTimeout: 5s")
          .contains("prefix: \"\"")
          .contains("write_file: durable");
      // The export applies elsewhere to the same registry, and re-applying it changes nothing.
      RegistryApplier.apply(copy.jdbi(), registry(exported));
      assertThat(RegistryExporter.toYaml(RegistryExporter.export(copy.jdbi()))).isEqualTo(exported);
      assertThat(copy.jdbi().onDemand(McpServerDao.class).list())
          .usingRecursiveFieldByFieldElementComparatorIgnoringFields("tenantId")
          .isEqualTo(servers.list());
      assertThat(RegistryApplier.apply(db.jdbi(), registry(exported)).changed()).isZero();
    }
  }

  @Test
  void aChangedServerIsUpdatedAndOnesMissingFromTheFileStay() {
    try (TestDatabase db = TestDatabase.create()) {
      RegistryApplier.apply(db.jdbi(), registry(MCP));
      String smaller =
          """
          mcpServers:
            - name: legacy
              transport: sse
              url: https://legacy.example/v2/sse
          """;
      assertThat(RegistryApplier.apply(db.jdbi(), registry(smaller)).changed()).isEqualTo(1);
      McpServerDao servers = db.jdbi().onDemand(McpServerDao.class);
      assertThat(servers.find("legacy").orElseThrow().url()).isEqualTo("https://legacy.example/v2/sse");
      // Like tools: applying removes nothing absent from the file.
      assertThat(servers.list()).extracting(McpServerDefinition::name)
          .containsExactly("acme-crm", "everything", "files", "legacy");
      assertThat(db.jdbi().onDemand(VirtualServerDao.class).list()).hasSize(2);
    }
  }

  @Test
  void aFailureHalfwayLeavesTheDatabaseAsItWas() {
    try (TestDatabase db = TestDatabase.create()) {
      // Issuers are unique across tenants in the database; the file check sees only the file, so
      // an issuer another tenant already holds is found by the database, halfway through.
      RegistryApplier.apply(
          db.jdbi(),
          registry(
              """
              tenants:
                - name: z
                  identityProviders: [{name: i, issuer: 'https://login.example', audience: z, jwksUrl: 'https://login.example/j'}]
              """));
      String sameIssuer =
          TOOLS
              + """
              tenants:
                - name: a
                  identityProviders: [{name: i, issuer: 'https://login.example', audience: a, jwksUrl: 'https://login.example/j'}]
              """;
      Registry registry = registry(sameIssuer);
      assertThatThrownBy(() -> RegistryApplier.apply(db.jdbi(), registry)).hasMessageContaining("issuer");
      assertThat(db.jdbi().onDemand(ToolDao.class).list()).isEmpty();
      assertThat(db.jdbi().onDemand(TenantDao.class).page(null, 10)).extracting(t -> t.name()).containsExactly("z");
    }
  }

  /** A stored server is not in the file, so only the database sees that a file's server takes its prefix. */
  @Test
  void aPrefixAStoredServerHasIsRefusedAndOneTheFileMovesIsFree() {
    try (TestDatabase db = TestDatabase.create()) {
      RegistryApplier.apply(db.jdbi(), registry("mcpServers: [{name: old, transport: sse, url: 'http://x/sse', prefix: p}]\n"));
      String taking =
          """
          tools:
            - {name: t.echo, http: {method: POST, url: 'https://t.example/echo'}}
          tenants:
            - name: t
              mcpServers: [{name: new, transport: sse, url: 'http://x/sse', prefix: p}]
          """;
      Registry registry = registry(taking);
      assertThatThrownBy(() -> RegistryApplier.apply(db.jdbi(), registry))
          .isInstanceOf(McpPrefixTaken.class)
          .hasMessage("MCP server 'new' would expose its tools as 'p.*', as MCP server 'old' does for the same agents; "
              + "give one of them another prefix");
      McpServerDao servers = db.jdbi().onDemand(McpServerDao.class);
      assertThat(servers.list()).extracting(McpServerDefinition::name).containsExactly("old");
      assertThat(db.jdbi().onDemand(ToolDao.class).list()).isEmpty();
      assertThat(db.jdbi().onDemand(TenantDao.class).page(null, 10)).isEmpty();

      // One file giving the stored server another prefix and the new one its old prefix passes,
      // whichever it writes first.
      RegistryApplier.apply(
          db.jdbi(),
          registry(taking + "mcpServers: [{name: old, transport: sse, url: 'http://x/sse', prefix: q}]\n"));
      assertThat(servers.find("new").orElseThrow().effectivePrefix()).isEqualTo("p");
      assertThat(servers.find("old").orElseThrow().effectivePrefix()).isEqualTo("q");
    }
  }

  /** The file cannot move a record to another owner: the admin API refuses that, and the file did it silently. */
  @Test
  void aRecordStoredUnderAnotherOwnerIsRefusedAndNothingChanges() {
    try (TestDatabase db = TestDatabase.create()) {
      String theirs =
          """
          tenants:
            - name: a
              tools:
                - {name: a.echo, http: {method: POST, url: 'https://a.example/echo'}}
              models: []
          tools:
            - {name: shared.echo, http: {method: POST, url: 'https://shared.example/echo'}}
          """;
      RegistryApplier.apply(db.jdbi(), registry(theirs));
      ToolDao tools = db.jdbi().onDemand(ToolDao.class);
      String tenantA = tools.find("a.echo").orElseThrow().tenantId();
      for (String moved : new String[] {
        // another tenant's
        """
        tenants:
          - name: b
            tools:
              - {name: a.echo, http: {method: POST, url: 'https://b.example/echo'}}
        """,
        // made global
        """
        tools:
          - {name: a.echo, http: {method: POST, url: 'https://b.example/echo'}}
        """,
        // a global one taken by a tenant
        """
        tenants:
          - name: a
            tools:
              - {name: shared.echo, http: {method: POST, url: 'https://b.example/echo'}}
        """}) {
        Registry registry = registry(moved);
        assertThatThrownBy(() -> RegistryApplier.apply(db.jdbi(), registry))
            .isInstanceOf(dev.gatehouse.registry.RegistryException.class)
            .hasMessageContaining("cannot change its owner");
      }
      assertThat(tools.find("a.echo").orElseThrow().tenantId()).isEqualTo(tenantA);
      assertThat(tools.find("a.echo").orElseThrow().http().url()).isEqualTo("https://a.example/echo");
      assertThat(tools.find("shared.echo").orElseThrow().tenantId()).isNull();
      assertThat(db.jdbi().onDemand(TenantDao.class).page(null, 10)).extracting(t -> t.name()).containsExactly("a");
      assertThat(changes(db.jdbi(), theirs)).as("the file that owns them still applies").isZero();
    }
  }

  /**
   * The file has no egress guard: an export applied back (start-up, the CLI, {@code PUT
   * /admin/v1/registry}) once cleared the guard of every tenant admin's record, so a tenant's
   * re-pointed DNS name then reached loopback. A record the file does not change keeps its guard;
   * one it changes is the platform's, unguarded.
   */
  @Test
  void aRecordTheFileDoesNotChangeKeepsItsEgressGuardAndOneItChangesLosesIt() {
    try (TestDatabase db = TestDatabase.create()) {
      Jdbi jdbi = db.jdbi();
      String file =
          """
          tenants:
            - name: acme
              identityProviders:
                - {name: corp, issuer: 'https://login.acme.example', audience: gatehouse, jwksUrl: 'https://login.acme.example/jwks'}
              tools:
                - {name: acme.crm, http: {method: POST, url: 'https://crm.acme.example/c'}, cost: 0.02, timeout: 5s}
              mcpServers:
                - {name: acme-mcp, transport: streamable-http, url: 'https://mcp.acme.example/mcp'}
                - {name: acme-legacy, transport: sse, url: 'https://legacy.acme.example/sse'}
              providers:
                - {name: acme-llm, type: openai, baseUrl: 'https://llm.acme.example/v1'}
          """;
      RegistryApplier.apply(jdbi, registry(file));
      ToolDao tools = jdbi.onDemand(ToolDao.class);
      McpServerDao servers = jdbi.onDemand(McpServerDao.class);
      ProviderDao providers = jdbi.onDemand(ProviderDao.class);
      IdentityProviderDao idps = jdbi.onDemand(IdentityProviderDao.class);
      String acme = jdbi.onDemand(TenantDao.class).findByName("acme").orElseThrow().id();
      // As a tenant admin's writes store them.
      tools.upsert(tools.find("acme.crm").orElseThrow().withEgressGuarded(true));
      servers.upsert(servers.find("acme-mcp").orElseThrow().withEgressGuarded(true));
      servers.upsert(servers.find("acme-legacy").orElseThrow().withEgressGuarded(true));
      providers.upsert(providers.find("acme-llm").orElseThrow().withEgressGuarded(true));
      idps.upsert(idps.list(acme).get(0).withEgressGuarded(true));

      String exported = RegistryExporter.toYaml(RegistryExporter.export(jdbi));
      assertThat(exported).doesNotContain("uarded");
      assertThat(changes(jdbi, exported)).as("the export applied back").isZero();
      assertThat(changes(jdbi, file)).as("the original file applied again").isZero();
      assertThat(tools.find("acme.crm").orElseThrow().egressGuarded()).isTrue();
      assertThat(servers.find("acme-mcp").orElseThrow().egressGuarded()).isTrue();
      assertThat(servers.find("acme-legacy").orElseThrow().egressGuarded()).isTrue();
      assertThat(providers.find("acme-llm").orElseThrow().egressGuarded()).isTrue();
      assertThat(idps.list(acme)).singleElement().satisfies(p -> assertThat(p.egressGuarded()).isTrue());

      // Each record whose URL the file changes is the platform's now; the one it leaves keeps its guard.
      String moved = file
          .replace("https://crm.acme.example/c", "https://crm2.acme.example/c")
          .replace("https://mcp.acme.example/mcp", "https://mcp2.acme.example/mcp")
          .replace("https://llm.acme.example/v1", "https://llm2.acme.example/v1")
          .replace("https://login.acme.example/jwks", "https://login.acme.example/jwks2");
      assertThat(changes(jdbi, moved)).isEqualTo(4);
      assertThat(tools.find("acme.crm").orElseThrow())
          .satisfies(t -> assertThat(t.egressGuarded()).isFalse())
          .satisfies(t -> assertThat(t.http().url()).isEqualTo("https://crm2.acme.example/c"));
      assertThat(servers.find("acme-mcp").orElseThrow().egressGuarded()).isFalse();
      assertThat(servers.find("acme-legacy").orElseThrow().egressGuarded()).isTrue();
      assertThat(providers.find("acme-llm").orElseThrow().egressGuarded()).isFalse();
      assertThat(idps.list(acme)).singleElement()
          .satisfies(p -> assertThat(p.egressGuarded()).isFalse())
          .satisfies(p -> assertThat(p.jwksUrl()).isEqualTo("https://login.acme.example/jwks2"));
      assertThat(changes(jdbi, moved)).isZero();
    }
  }

  private static int changes(Jdbi jdbi, String yaml) {
    return RegistryApplier.apply(jdbi, registry(yaml)).changed();
  }
}
