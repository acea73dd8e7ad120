package dev.gatehouse.frontend.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.dropwizard.configuration.ConfigurationValidationException;
import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml, the Dockerfile and config/gatehouse.yml must agree (no Docker engine runs in
 * CI, so this is how they stay honest): the Gatehouse service sets only variables the config
 * reads, and the config loads and validates with the compose environment.
 */
class DeploymentFilesTest {
  private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z0-9_]+)(:-[^}]*)?}");

  @Test
  void composeSetsOnlyVariablesTheConfigReads() throws Exception {
    JsonNode gatehouse = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile()).path("services").path("gatehouse");
    assertThat(gatehouse.isMissingNode()).isFalse();
    Set<String> read = variablesIn(Files.readString(ROOT.resolve("config/gatehouse.yml")));
    Set<String> set = new TreeSet<>();
    gatehouse.path("environment").fieldNames().forEachRemaining(set::add);
    assertThat(set).isNotEmpty();
    assertThat(read).containsAll(set);
    assertThat(gatehouse.path("command").toString()).contains("server").contains("/app/gatehouse.yml");
    String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
    assertThat(dockerfile).contains("COPY config/gatehouse.yml /app/gatehouse.yml").contains("api-frontend/app/target/gatehouse.jar");
  }

  @Test
  void theConfigLoadsWithTheComposeEnvironment() throws Exception {
    JsonNode compose = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile());
    Map<String, String> env = new HashMap<>();
    compose.path("services").path("gatehouse").path("environment").fields()
        .forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText().startsWith("${") ? valueFor(e.getKey()) : e.getValue().asText()));
    env.put("GATEHOUSE_MASTER_KEY", dev.gatehouse.registry.secrets.SecretBox.newMasterKey());
    GatehouseConfiguration config = load(env);
    assertThat(config.getDatabase().getUrl()).isEqualTo("jdbc:postgresql://postgresql:5432/gatehouse");
    assertThat(config.getTemporal().getTarget()).isEqualTo("temporal:7233");
    assertThat(config.getTemporal().isEmbedded()).isFalse();
    assertThat(config.getWorker().isEnabled()).isTrue();
    assertThat(config.getAuth().getAgentKeys()).anySatisfy(k -> assertThat(k.key()).isEqualTo("test-key"));
    assertThat(config.getRegistryFile()).isNullOrEmpty();
    assertThat(config.getAuth().getAdminKeys()).anySatisfy(k -> assertThat(k.key()).isEqualTo("gka_test-key"));
    assertThat(config.getSecrets().box()).isPresent();
    assertThat(config.getMcp().getAllowedHosts()).containsExactly("localhost", "127.0.0.1", "gatehouse");

    // Prometheus scrapes the admin port's /prometheus.
    JsonNode prometheus = YAML.readTree(ROOT.resolve("deploy/prometheus/prometheus.yml").toFile());
    JsonNode job = prometheus.path("scrape_configs").get(0);
    assertThat(job.path("metrics_path").asText()).isEqualTo("/prometheus");
    assertThat(job.path("static_configs").get(0).path("targets").get(0).asText()).isEqualTo("gatehouse:8081");
  }

  @Test
  void theConfigLoadsWithNoEnvironmentAtAll() throws Exception {
    GatehouseConfiguration config = load(Map.of());
    assertThat(config.getTemporal().getTarget()).isEqualTo("127.0.0.1:7233");
    assertThat(config.getTemporal().getTls().getCertChain()).isNull();
    assertThat(config.getSecrets().box()).isEmpty();
    assertThat(config.getMcp().getAllowedHosts()).containsExactly("localhost", "127.0.0.1", "[::1]");
    assertThat(config.getMcp().getPublicUrl()).isNull();
  }

  @Test
  void keysOfTheWrongKindAreRefusedWhenTheConfigLoads() {
    assertThatThrownBy(() -> load(Map.of("GATEHOUSE_ADMIN_KEY", "gk_an_agent_key")))
        .isInstanceOf(ConfigurationValidationException.class)
        .hasMessageContaining("auth.adminKeys[0].key must start with 'gka_'")
        .hasMessageNotContaining("gk_an_agent_key");
    assertThatThrownBy(() -> load(Map.of("GATEHOUSE_AGENT_KEY", "gka_an_admin_key")))
        .isInstanceOf(ConfigurationValidationException.class)
        .hasMessageContaining("auth.agentKeys[0].key must not start with 'gka_'");
  }

  /** A value the compose file leaves to the user: an admin key must look like one. */
  private static String valueFor(String variable) {
    return variable.contains("ADMIN_KEY") ? "gka_test-key" : "test-key";
  }

  private static GatehouseConfiguration load(Map<String, String> env) throws Exception {
    EnvironmentVariableSubstitutor substitutor = new EnvironmentVariableSubstitutor(false);
    substitutor.setVariableResolver(key -> env.get(key));
    return new YamlConfigurationFactory<>(GatehouseConfiguration.class, Validators.newValidator(), Jackson.newObjectMapper(), "dw")
        .build(
            new SubstitutingSourceProvider(new FileConfigurationSourceProvider(), substitutor),
            ROOT.resolve("config/gatehouse.yml").toString());
  }

  private static Set<String> variablesIn(String text) {
    Set<String> names = new TreeSet<>();
    Matcher m = VARIABLE.matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

}
