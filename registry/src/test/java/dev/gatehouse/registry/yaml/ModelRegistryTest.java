package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.RegistryFixtures.entry;
import static dev.gatehouse.registry.yaml.RegistryFixtures.registry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.models.ModelDao;
import dev.gatehouse.registry.models.ModelDefinition;
import dev.gatehouse.registry.models.ProviderDao;
import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.tenants.TenantDao;
import dev.gatehouse.registry.testing.TestDatabase;
import dev.gatehouse.registry.tools.RetrySpec;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Model providers and models in the registry: each entry's checks, the checks across them, apply and export. */
class ModelRegistryTest {
  private static final String PROVIDER = "name: p\ntype: openai\nbaseUrl: 'https://api.openai.com/v1'\n";
  private static final String MODEL = "name: m\ntargets: [{provider: p, model: gpt-4o}]\n";

  /** A global provider and model, and a tenant with its own that use them. */
  static final String FILE =
      """
      providers:
        - name: openai
          type: openai
          baseUrl: https://api.openai.com/v1
          apiKey: "{{secret:openai-key}}"
          timeout: 60s
          headers: {OpenAI-Organization: org-1}
        - name: local
          type: openai
          baseUrl: http://127.0.0.1:11434/v1
      models:
        - name: small
          targets: [{provider: local, model: "llama3.2:3b"}]
          prices: {input: 0, output: 0}
        - name: gpt-4o
          targets:
            - {provider: openai, model: gpt-4o-2024-08-06, weight: 3}
            - {provider: local, model: "llama3.1:70b"}
          fallbacks: [small]
          retry: {maxAttempts: 2, initialInterval: 100ms, backoff: 2.0, maxInterval: 1s}
          prices: {input: 2.50, cachedInput: 1.25, output: 10.00}
          contextWindow: 128000
          maxOutput: 16384
      tenants:
        - name: acme
          providers:
            - name: acme-claude
              type: anthropic
              baseUrl: https://api.anthropic.com
              apiKey: "{{secret:acme-anthropic}}"
          models:
            - name: acme-sonnet
              targets: [{provider: acme-claude, model: claude-sonnet-4-5}]
              fallbacks: [gpt-4o]
              prices: {input: 3, cachedInput: 0.3, output: 15, cacheWrite: 3.75}
      """;

  static ProviderDefinition provider(String yaml) {
    return ProviderEntries.check("provider", entry(RegistryFile.Provider.class, yaml));
  }

  static ModelDefinition model(String yaml) {
    return ModelEntries.check("model", entry(RegistryFile.Model.class, yaml));
  }

  static RegistryFile parse(String yaml) {
    return RegistryParser.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aProviderKeepsWhatIsWrittenAndLeavesOutTheRest() {
    ProviderDefinition p = provider(PROVIDER);
    assertThat(p).isEqualTo(new ProviderDefinition("p", null, "openai", "https://api.openai.com/v1", null, null, Map.of()));
    assertThat(p.timeoutOrDefault()).isEqualTo(ProviderDefinition.DEFAULT_TIMEOUT);
    ProviderDefinition full = provider(PROVIDER + "apiKey: '{{secret:k}}'\ntimeout: 30s\nheaders: {api-key: '{{secret:azure}}'}\n");
    assertThat(full.apiKey()).isEqualTo("{{secret:k}}");
    assertThat(full.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(full.headers()).containsEntry("api-key", "{{secret:azure}}");
  }

  static Stream<Arguments> badProviders() {
    return Stream.of(
        Arguments.of("type: openai\nbaseUrl: 'http://x'\n", "provider.name must be 1-128"),
        Arguments.of("name: 'a b'\ntype: openai\nbaseUrl: 'http://x'\n", "provider.name must be 1-128"),
        Arguments.of("name: p\nbaseUrl: 'http://x'\n", "provider (p).type must be openai or anthropic"),
        Arguments.of("name: p\ntype: gemini\nbaseUrl: 'http://x'\n", "provider (p).type must be openai or anthropic"),
        Arguments.of("name: p\ntype: openai\n", "provider (p).baseUrl is required"),
        Arguments.of("name: p\ntype: openai\nbaseUrl: 'ftp://x'\n", "provider (p).baseUrl must be an absolute http:// or https:// URL"),
        Arguments.of("name: p\ntype: openai\nbaseUrl: 'http://x/{v}'\n", "provider (p).baseUrl must not hold {placeholders}"),
        Arguments.of("name: p\ntype: openai\nbaseUrl: 'https://u:sk-live@x/v1'\n", "provider (p).baseUrl must not carry credentials"),
        Arguments.of("name: p\ntype: openai\nbaseUrl: 'https://x/v1?key=1'\n", "provider (p).baseUrl must not have a query or fragment"),
        Arguments.of(PROVIDER + "apiKey: sk-live-123\n", "provider (p).apiKey must name a secret as {{secret:NAME}}"),
        Arguments.of(PROVIDER + "timeout: 0ms\n", "provider (p).timeout must be between 1ms and 10m"),
        Arguments.of(PROVIDER + "timeout: soon\n", "provider (p).timeout "),
        Arguments.of(PROVIDER + "headers: {Authorization: 'Bearer x'}\n", "provider (p).headers 'Authorization' is not a header Gatehouse lets a provider set"),
        Arguments.of(PROVIDER + "headers: {X-Api-Key: x}\n", "provider (p).headers 'X-Api-Key' is not a header"),
        Arguments.of(PROVIDER + "headers: {Host: x}\n", "provider (p).headers 'Host' is not a header"),
        Arguments.of(PROVIDER + "headers: {X-Org: '{{secret:}}'}\n", "provider (p).headers.X-Org has a malformed {{secret:NAME}} reference"));
  }

  @ParameterizedTest
  @MethodSource("badProviders")
  void aBadProviderIsRefusedNamingTheField(String yaml, String message) {
    assertThatThrownBy(() -> provider(yaml))
        .isInstanceOf(RegistryException.class)
        .hasMessageStartingWith(message)
        .satisfies(e -> assertThat(((RegistryException) e).code()).isEqualTo("invalid_registry"))
        // A literal key is never repeated back.
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("sk-live"));
  }

  @Test
  void aModelDefaultsWeightsAndKeepsPricesExactInTheirShortestForm() {
    ModelDefinition m = model(MODEL + "prices: {input: 2.50, cachedInput: 0.0000001, output: 100, cacheWrite: 3.750}\n");
    assertThat(m.targets()).containsExactly(new ModelDefinition.Target("p", "gpt-4o", 1));
    assertThat(m.fallbacks()).isEmpty();
    assertThat(m.retry()).isNull();
    assertThat(m.prices().input()).isEqualTo(new BigDecimal("2.5"));
    assertThat(m.prices().cachedInput()).isEqualTo(new BigDecimal("0.0000001"));
    assertThat(m.prices().output()).isEqualTo(new BigDecimal("100"));
    assertThat(m.prices().cacheWrite()).isEqualTo(new BigDecimal("3.75"));
    assertThat(model(MODEL + "prices: {input: 1}\n").prices().cacheWrite()).isNull();
    ModelDefinition full = model(MODEL + "retry: {}\ncontextWindow: 8192\nmaxOutput: 8192\nfallbacks: [a, b]\n");
    assertThat(full.retry()).isEqualTo(RetrySpec.DEFAULT);
    assertThat(full.fallbacks()).containsExactly("a", "b");
    assertThat(full.contextWindow()).isEqualTo(8192);
  }

  static Stream<Arguments> badModels() {
    String t = "targets: [{provider: p, model: x}]\n";
    return Stream.of(
        Arguments.of(t, "model.name must be 1-128"),
        Arguments.of("name: 'a/b'\n" + t, "model.name must be 1-128"),
        Arguments.of("name: m\n", "model (m).targets needs at least one {provider, model}"),
        Arguments.of("name: m\ntargets: []\n", "model (m).targets needs at least one {provider, model}"),
        Arguments.of("name: m\ntargets: [{model: x}]\n", "model (m).targets[0].provider must name a provider"),
        Arguments.of("name: m\ntargets: [{provider: p, model: x}, {provider: p}]\n", "model (m).targets[1].model must be the provider's model name"),
        Arguments.of("name: m\ntargets: [{provider: p, model: \"a\\tb\"}]\n", "model (m).targets[0].model must be the provider's model name"),
        Arguments.of("name: m\ntargets: [{provider: p, model: x, weight: 0}]\n", "model (m).targets[0].weight must be a whole number between 1 and 10000"),
        Arguments.of("name: m\ntargets: [{provider: p, model: x, weight: -3}]\n", "model (m).targets[0].weight must be"),
        Arguments.of("name: m\n" + t + "fallbacks: [m]\n", "model (m).fallbacks[0] names the model itself"),
        Arguments.of("name: m\n" + t + "fallbacks: [a, a]\n", "model (m).fallbacks[1] names 'a' twice"),
        Arguments.of("name: m\n" + t + "fallbacks: ['a/b']\n", "model (m).fallbacks[0] must name a model alias"),
        Arguments.of("name: m\n" + t + "retry: {maxAttempts: 0}\n", "model (m).retry.maxAttempts must be between 1 and 100"),
        Arguments.of("name: m\n" + t + "prices: {input: -1}\n", "model (m).prices.input must be between 0 and 1000000"),
        Arguments.of("name: m\n" + t + "prices: {output: 1e999999999}\n", "model (m).prices.output must be between 0 and 1000000"),
        Arguments.of("name: m\n" + t + "prices: {cachedInput: 0.0000000001}\n", "model (m).prices.cachedInput may have at most 9 decimal places"),
        Arguments.of("name: m\n" + t + "prices: {cacheWrite: -1}\n", "model (m).prices.cacheWrite"),
        Arguments.of("name: m\n" + t + "contextWindow: 0\n", "model (m).contextWindow must be a whole number of tokens between 1 and 100000000"),
        Arguments.of("name: m\n" + t + "maxOutput: -1\n", "model (m).maxOutput must be a whole number of tokens"),
        Arguments.of("name: m\n" + t + "contextWindow: 1000\nmaxOutput: 2000\n", "model (m).maxOutput must not exceed contextWindow (1000)"));
  }

  @ParameterizedTest
  @MethodSource("badModels")
  void aBadModelIsRefusedNamingTheField(String yaml, String message) {
    assertThatThrownBy(() -> model(yaml)).isInstanceOf(RegistryException.class).hasMessageStartingWith(message);
  }

  @Test
  void tooManyTargetsOrFallbacksAreRefused() {
    String targets = "name: m\ntargets: [" + "{provider: p, model: x},".repeat(ModelEntries.MAX_TARGETS + 1) + "]\n";
    assertThatThrownBy(() -> model(targets)).hasMessage("model (m).targets may hold at most 32 targets");
    StringBuilder fallbacks = new StringBuilder(MODEL + "fallbacks: [");
    for (int i = 0; i <= ModelEntries.MAX_FALLBACKS; i++) {
      fallbacks.append("f").append(i).append(',');
    }
    assertThatThrownBy(() -> model(fallbacks + "]\n")).hasMessage("model (m).fallbacks may hold at most 16 aliases");
  }

  static Stream<Arguments> badFiles() {
    return Stream.of(
        Arguments.of(
            "providers: [{name: p, type: openai, baseUrl: 'http://x'}]\nmodels: [{name: m, targets: [{provider: p, model: a}, {provider: x, model: b}]}]\n",
            "models[0] (m).targets[1].provider: no global provider 'x' (a global model uses global providers only)"),
        Arguments.of(
            "tenants: [{name: t, providers: [{name: p, type: openai, baseUrl: 'http://x'}], models: [{name: m, targets: [{provider: x, model: a}]}]}]\n",
            "tenants[0].models[0] (m).targets[0].provider: no provider 'x' in tenant 't' or global"),
        // A tenant's provider is not for global models, nor for another tenant's.
        Arguments.of(
            "tenants: [{name: t, providers: [{name: p, type: openai, baseUrl: 'http://x'}]}]\nmodels: [{name: m, targets: [{provider: p, model: a}]}]\n",
            "models[0] (m).targets[0].provider: no global provider 'p'"),
        Arguments.of(
            "tenants: [{name: t, providers: [{name: p, type: openai, baseUrl: 'http://x'}]}, {name: u, models: [{name: m, targets: [{provider: p, model: a}]}]}]\n",
            "tenants[1].models[0] (m).targets[0].provider: no provider 'p' in tenant 'u' or global"),
        Arguments.of(
            "providers: [{name: p, type: openai, baseUrl: 'http://x'}]\nmodels: [{name: m, targets: [{provider: p, model: a}], fallbacks: [gone]}]\n",
            "models[0] (m).fallbacks[0]: no global model 'gone' (a global model falls back to global models only)"),
        Arguments.of(
            "providers: [{name: p, type: openai, baseUrl: 'http://x'}]\ntenants: [{name: t, models: [{name: m, targets: [{provider: p, model: a}], fallbacks: [gone]}]}]\n",
            "tenants[0].models[0] (m).fallbacks[0]: no model 'gone' in tenant 't' or global"),
        Arguments.of(
            "providers: [{name: p, type: openai, baseUrl: 'http://x'}]\nmodels:\n"
                + "  - {name: a, targets: [{provider: p, model: x}], fallbacks: [b]}\n"
                + "  - {name: b, targets: [{provider: p, model: x}], fallbacks: [c]}\n"
                + "  - {name: c, targets: [{provider: p, model: x}], fallbacks: [a]}\n",
            "models[0] (a).fallbacks: loop back to it: a -> b -> c -> a"),
        Arguments.of(
            "providers: [{name: p, type: openai, baseUrl: 'http://x'}, {name: p, type: anthropic, baseUrl: 'http://y'}]\n",
            "providers[1]: provider 'p' is declared twice"),
        Arguments.of(
            "providers: [{name: p, type: openai, baseUrl: 'http://x'}]\ntenants: [{name: t, providers: [{name: p, type: openai, baseUrl: 'http://x'}]}]\n",
            "tenants[0].providers[0]: provider 'p' clashes with the global provider of that name"),
        Arguments.of(
            "providers: [{name: p, type: openai, baseUrl: 'http://x'}]\n"
                + "tenants: [{name: t, models: [{name: m, targets: [{provider: p, model: a}]}]}, {name: u, models: [{name: m, targets: [{provider: p, model: a}]}]}]\n",
            "tenants[1].models[0]: model 'm' is also declared by tenant 't'"));
  }

  @ParameterizedTest
  @MethodSource("badFiles")
  void referencesAcrossTheFileAreChecked(String yaml, String message) {
    assertThatThrownBy(() -> registry(yaml)).isInstanceOf(RegistryException.class).hasMessageStartingWith(message);
  }

  @Test
  void aTenantModelMayUseGlobalProvidersAndFallBackToGlobalModels() {
    Registry r = registry(FILE);
    assertThat(r.providers()).extracting(ProviderDefinition::name).containsExactly("openai", "local");
    assertThat(r.models()).extracting(ModelDefinition::name).containsExactly("small", "gpt-4o");
    assertThat(r.tenants().get(0).models().get(0).fallbacks()).containsExactly("gpt-4o");
    assertThat(r.models().get(1).targets().get(0).weight()).isEqualTo(3);
  }

  static Stream<Arguments> badShapes() {
    return Stream.of(
        Arguments.of("models: [{name: m, targets: [{provider: p, model: x, wieght: 2}]}]\n", "models[0].targets[0].wieght is not a known field (expected provider, model or weight)"),
        Arguments.of("models: [{name: m, targets: [{provider: p, model: x, weight: 1.5}]}]\n", "models[0].targets[0].weight must be a whole number"),
        Arguments.of("models: [{name: m, targets: {provider: p}}]\n", "models[0].targets must be a list"),
        Arguments.of("models: [{name: m, prices: {input: [1]}}]\n", "models[0].prices.input must be a number"),
        Arguments.of("providers: [{name: p, apikey: x}]\n", "providers[0].apikey is not a known field"),
        Arguments.of("providers: [{name: \"p\\0\"}]\n", "'providers[0].name' contains a NUL character"));
  }

  @ParameterizedTest
  @MethodSource("badShapes")
  void theParserSaysWhereInTheFileTermsWithoutJavaNames(String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(RegistryException.class)
        .hasMessageStartingWith(message)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("java.").doesNotContain("Integer").doesNotContain("BigDecimal"));
  }

  @Test
  void hugeNumbersAreRefusedNotWrappedOrInfinite() {
    for (String yaml : List.of(
        "models: [{name: m, targets: [{provider: p, model: x, weight: 99999999999999999999}]}]\n",
        "models: [{name: m, contextWindow: 4294967297}]\n",
        "models: [{name: m, prices: {input: .inf}}]\n")) {
      assertThatThrownBy(() -> registry(yaml)).as(yaml)
          .isInstanceOf(RegistryException.class)
          .satisfies(e -> assertThat(((RegistryException) e).code()).isEqualTo("invalid_registry"))
          .satisfies(e -> assertThat(e.getMessage()).startsWith("models[0].").doesNotContain("java."));
    }
    assertThatThrownBy(() -> registry("models: [{name: m, targets: [{provider: p, model: x, weight: 99999999999999999999}]}]\n"))
        .hasMessage("models[0].targets[0].weight is out of range (too large a number for this field)");
    assertThatThrownBy(() -> registry("models: [{name: m, prices: {input: .inf}}]\n"))
        .hasMessage("models[0].prices.input is not a number this field can hold");
    assertThatThrownBy(() -> registry("tools: [{name: t, retry: {maxAttempts: 4294967297}}]\n"))
        .hasMessage("tools[0].retry.maxAttempts is out of range (too large a number for this field)");
  }

  @Test
  void providersAndModelsApplyIdempotentlyAndExportBackToTheSameRows() {
    try (TestDatabase db = TestDatabase.create(); TestDatabase copy = TestDatabase.create()) {
      RegistryApplier.ApplyResult first = RegistryApplier.apply(db.jdbi(), registry(FILE));
      assertThat(first.providers()).isEqualTo(3);
      assertThat(first.models()).isEqualTo(3);
      assertThat(first.changed()).isEqualTo(1 + 3 + 3);
      assertThat(RegistryApplier.apply(db.jdbi(), registry(FILE)).changed()).isZero();

      String tenantId = db.jdbi().onDemand(TenantDao.class).findByName("acme").orElseThrow().id();
      ModelDao models = db.jdbi().onDemand(ModelDao.class);
      ModelDefinition gpt = models.find("gpt-4o").orElseThrow();
      assertThat(gpt.tenantId()).isNull();
      assertThat(gpt.prices()).isEqualTo(new ModelDefinition.Prices(new BigDecimal("2.5"), new BigDecimal("1.25"), new BigDecimal("10")));
      assertThat(gpt.retry()).isEqualTo(new RetrySpec(2, Duration.ofMillis(100), 2.0, Duration.ofSeconds(1)));
      assertThat(models.find("acme-sonnet").orElseThrow().tenantId()).isEqualTo(tenantId);
      assertThat(models.visibleTo(tenantId)).extracting(ModelDefinition::name).containsExactly("acme-sonnet", "gpt-4o", "small");
      assertThat(models.visibleTo("ten_other")).extracting(ModelDefinition::name).containsExactly("gpt-4o", "small");
      assertThat(models.usingProvider("local")).containsExactly("gpt-4o", "small");
      assertThat(models.fallingBackTo("gpt-4o")).containsExactly("acme-sonnet");
      assertThat(db.jdbi().onDemand(ProviderDao.class).find("acme-claude").orElseThrow().apiKey()).isEqualTo("{{secret:acme-anthropic}}");

      String exported = RegistryExporter.toYaml(RegistryExporter.export(db.jdbi()));
      assertThat(exported).contains("apiKey: \"{{secret:openai-key}}\"").contains("weight: 3").contains("cachedInput: 0.3")
          .contains("cacheWrite: 3.75");
      RegistryApplier.apply(copy.jdbi(), registry(exported));
      assertThat(copy.jdbi().onDemand(ModelDao.class).list()).isEqualTo(strip(models.list(), tenantId, copy));
      assertThat(copy.jdbi().onDemand(ProviderDao.class).list().stream().map(p -> p.withTenant(null)).toList())
          .isEqualTo(db.jdbi().onDemand(ProviderDao.class).list().stream().map(p -> p.withTenant(null)).toList());
      assertThat(RegistryExporter.toYaml(RegistryExporter.export(copy.jdbi()))).isEqualTo(exported);
      assertThat(RegistryApplier.apply(db.jdbi(), registry(exported)).changed()).isZero();
    }
  }

  /** The rows with the copy's tenant id in place of the original's (ids differ between databases). */
  private static List<ModelDefinition> strip(List<ModelDefinition> rows, String tenantId, TestDatabase copy) {
    String copyTenant = copy.jdbi().onDemand(TenantDao.class).findByName("acme").orElseThrow().id();
    return rows.stream().map(m -> tenantId.equals(m.tenantId()) ? m.withTenant(copyTenant) : m).toList();
  }

  @Test
  void aTenantOwningProvidersOrModelsIsNotEmpty() {
    try (TestDatabase db = TestDatabase.create()) {
      RegistryApplier.apply(db.jdbi(), registry(
          "tenants: [{name: t, providers: [{name: p, type: openai, baseUrl: 'http://x'}]}]\n"));
      TenantDao tenants = db.jdbi().onDemand(TenantDao.class);
      String id = tenants.findByName("t").orElseThrow().id();
      assertThat(tenants.deleteIfEmpty(id)).isFalse();
      db.jdbi().onDemand(ProviderDao.class).delete("p");
      assertThat(tenants.deleteIfEmpty(id)).isTrue();
    }
  }

  @Test
  void aTenantOwningMcpOrVirtualServersIsNotEmpty() {
    // Before these were counted, deleting such a tenant met the database's foreign key instead.
    try (TestDatabase db = TestDatabase.create()) {
      TenantDao tenants = db.jdbi().onDemand(TenantDao.class);
      for (String table : new String[] {"mcp_servers", "virtual_servers"}) {
        RegistryApplier.apply(db.jdbi(), registry("tenants: [{name: " + table.replace('_', '-') + "}]\n"));
        String id = tenants.findByName(table.replace('_', '-')).orElseThrow().id();
        db.jdbi().useHandle(h -> h.execute("INSERT INTO " + table + " (name, tenant_id, definition) VALUES (?, ?, '{}'::jsonb)", table + "-1", id));
        assertThat(tenants.deleteIfEmpty(id)).as(table).isFalse();
        db.jdbi().useHandle(h -> h.execute("DELETE FROM " + table));
        assertThat(tenants.deleteIfEmpty(id)).as(table).isTrue();
      }
    }
  }
}
