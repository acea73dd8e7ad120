package dev.gatehouse.frontend.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code gatehouse server|worker|check FILE} with a configuration file that is not there or does not
 * read: the operator gets what is wrong, in Dropwizard's words (the file, the setting, its nearest
 * names), and no stack trace. {@code dev} is the same ({@code DevModeTest}, which runs it as a
 * process).
 */
class ConfigurationErrorsTest {

  @ParameterizedTest
  @ValueSource(strings = {"server", "worker", "check"})
  void aSettingThatDoesNotExistIsNamedWithoutAStackTrace(String command) throws Exception {
    Path config = Files.writeString(Files.createTempFile("gatehouse-bad", ".yml"), "server:\n  noSuchSetting: 1\n");
    String[] run = CliRuns.fails(command, config.toString());
    assertThat(run[1])
        .contains(config + " has an error")
        .contains("Unrecognized field at: server.noSuchSetting")
        .doesNotContain("\tat ")
        .doesNotContain("Exception");
  }

  /** A probe of the docs found no suggestion after a misspelt setting: Dropwizard 5 lists them as "- name". */
  @Test
  void aMisspeltSettingIsGivenTheNamesNearestIt() throws Exception {
    Path config = Files.writeString(Files.createTempFile("gatehouse-typo", ".yml"), "server:\n  applicationConector: 1\n");
    String[] run = CliRuns.fails("check", config.toString());
    assertThat(run[1]).contains("Unrecognized field at: server.applicationConector (did you mean: ").contains("applicationConnectors");
    assertThat(run[1].strip().lines()).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"server", "worker", "check"})
  void aFileThatIsNotThereIsNamedWithoutAStackTrace(String command) throws Exception {
    Path missing = Files.createTempDirectory("gatehouse-config").resolve("missing.yml");
    String[] run = CliRuns.fails(command, missing.toString());
    assertThat(run[1].strip()).isEqualTo("File " + missing + " not found");
  }

  /**
   * A probe's agent key read {@code ${PROBE_OPS_BOT_KEY}}, the variable unset: {@code check} said
   * the configuration was OK, and the server took that text, which anyone reading the file knows,
   * as a working key of an agent allowed everything. A placeholder without a default whose
   * variable is not set stops every command that reads the file, naming the variable; an empty
   * default is a default.
   */
  @ParameterizedTest
  @ValueSource(strings = {"server", "worker", "check", "db", "replay"})
  void aPlaceholderWhoseVariableIsNotSetStopsTheCommandNamingIt(String command) throws Exception {
    Path config = Files.writeString(
        Files.createTempFile("gatehouse-unset", ".yml"),
        "auth:\n  agentKeys:\n    - {tenant: acme, agent: ops-bot, key: \"${GATEHOUSE_TEST_SURELY_UNSET_KEY}\"}\n");
    String[] run = CliRuns.fails(commandLine(command, config));
    assertThat(run[1])
        .contains(config.toString())
        .contains("the environment variable GATEHOUSE_TEST_SURELY_UNSET_KEY is not set, and"
            + " ${GATEHOUSE_TEST_SURELY_UNSET_KEY} in the file has no default (set it, or write ${GATEHOUSE_TEST_SURELY_UNSET_KEY:-default})")
        .doesNotContain("\tat ");
    assertThat(run[1].strip().lines()).as(run[1]).hasSize(1);

    Path defaulted = Files.writeString(
        Files.createTempFile("gatehouse-defaulted", ".yml"), "limits:\n  maxWait: \"${GATEHOUSE_TEST_SURELY_UNSET_WAIT:-}\"\n");
    assertThat(CliRuns.fails("check", defaulted.toString())[1]).doesNotContain("environment variable");
  }

  /** A probe set limits.defaultTaskTimeout to 0s: check said OK, and every task without a timeout of its own timed out at once. */
  @Test
  void aTaskTimeoutOfNothingIsRefusedNamingTheSetting() throws Exception {
    Path config = Files.writeString(Files.createTempFile("gatehouse-zero", ".yml"), "limits:\n  defaultTaskTimeout: 0s\n");
    String[] run = CliRuns.fails("check", config.toString());
    assertThat(run[1]).contains("limits.defaultTaskTimeout must be greater than or equal to 1 SECONDS").doesNotContain("\tat ");
  }

  /** A database setting that validates (nothing listens there: every case here fails before connecting). */
  private static final String DATABASE = "database: {driverClass: org.postgresql.Driver, url: 'jdbc:postgresql://127.0.0.1:1/x'}\n";

  /** Every command that reads a configuration file, as it is given one. */
  private static String[] commandLine(String command, Path config) {
    return switch (command) {
      case "db" -> new String[] {"db", "migrate", config.toString()};
      case "secrets" -> new String[] {"secrets", "rotate", config.toString()};
      case "registry" -> new String[] {"registry", "export", config.toString()};
      case "replay" -> new String[] {"replay", "--task", "t-1", config.toString()};
      default -> new String[] {command, config.toString()};
    };
  }

  /**
   * A wrong file given as the configuration (a master key file, an env file): the error names the
   * file, in one line, and never quotes what the file holds.
   */
  @ParameterizedTest
  @ValueSource(strings = {"server", "worker", "check", "db", "secrets", "registry", "replay"})
  void aWrongFileIsNamedWithoutWhatItHolds(String command) throws Exception {
    Path key = Files.writeString(Files.createTempFile("master", ".key"), "w4ML2GqSecretMasterKeyValue0123456789abcdef=\n");
    Path env = Files.writeString(Files.createTempFile("env", ".yml"), "OPENAI_API_KEY=sk-LEAKME123\nOTHER=sk-LEAKME456\n");
    Path malformed =
        Files.writeString(Files.createTempFile("malformed", ".yml"), "database:\n  password: \"sk-LEAKME789\n  url: [\n");
    for (Path file : java.util.List.of(key, env, malformed)) {
      String[] run = CliRuns.fails(commandLine(command, file));
      assertThat(run[1]).as(file.toString()).contains(file.toString()).doesNotContain("w4ML2G").doesNotContain("LEAKME").doesNotContain("\tat ");
      assertThat(run[1].strip().lines()).as(run[1]).hasSize(1);
    }
    assertThat(CliRuns.fails(commandLine(command, key))[1]).contains("the file is not a YAML mapping of settings");
    assertThat(CliRuns.fails(commandLine(command, malformed))[1]).contains("Malformed YAML at line: ");
  }

  /** A key given twice is refused, as registry files refuse it, where the last one used to win. */
  @ParameterizedTest
  @ValueSource(strings = {"server", "check", "db"})
  void aKeyGivenTwiceIsRefused(String command) throws Exception {
    Path config =
        Files.writeString(Files.createTempFile("gatehouse-dup", ".yml"), DATABASE + "migrateOnStart: false\nlogging:\n  level: WARN\nmigrateOnStart: true\n");
    String[] run = CliRuns.fails(commandLine(command, config));
    assertThat(run[1]).contains(config + " has an error").contains("'migrateOnStart' is given twice").contains("line: 5");
    assertThat(run[1].strip().lines()).hasSize(1);
  }

  /** An Anthropic beta the model face may pass on must be a beta's name; a list of none is allowed. */
  @Test
  void anAnthropicBetaThatIsNoBetaNameIsRefused() throws Exception {
    Path config =
        Files.writeString(Files.createTempFile("gatehouse-betas", ".yml"), DATABASE + "models: {anthropicBetas: ['context-1m-2025-08-07', 'two words']}\n");
    String[] run = CliRuns.fails("check", config.toString());
    assertThat(run[1]).contains(config + " has an error").contains("models.anthropicBetas").doesNotContain("\tat ");
  }

  /** A keep-alive every millisecond would be a write per quiet stream as often. */
  @Test
  void aStreamKeepAliveOfAFewMillisecondsIsRefused() throws Exception {
    Path config = Files.writeString(Files.createTempFile("gatehouse-keepalive", ".yml"), DATABASE + "models: {streamKeepAlive: 1ms}\n");
    String[] run = CliRuns.fails("check", config.toString());
    assertThat(run[1]).contains(config + " has an error").contains("streamKeepAlive").doesNotContain("\tat ");
  }

  /**
   * A master key that is not the base64 of 32 bytes is refused where the file is validated: {@code
   * check} says so (it said OK, and the server then failed with a stack trace), without the key.
   */
  @ParameterizedTest
  @ValueSource(strings = {"server", "worker", "check"})
  void anUnusableMasterKeyIsRefusedWithoutEchoingIt(String command) throws Exception {
    for (String secrets :
        java.util.List.of(
            "secrets: {masterKeys: {k1: 'SuperSecretMasterKEY_short!!'}}",
            "secrets: {masterKeys: {k1: 'U3VwZXJTZWNyZXRTaG9ydEtleQ=='}}",
            "secrets: {masterKeys: {k1: '" + dev.gatehouse.registry.secrets.SecretBox.newMasterKey() + "'}, activeKey: k9}")) {
      Path config = Files.writeString(Files.createTempFile("gatehouse-key", ".yml"), DATABASE + secrets + "\n");
      String[] run = CliRuns.fails(commandLine(command, config));
      assertThat(run[1]).as(secrets).contains(config + " has an error").contains("secrets.")
          .doesNotContain("SuperSecret").doesNotContain("U3VwZXJ").doesNotContain("\tat ");
      assertThat(run[1].strip().lines()).hasSize(1);
    }
  }

  /**
   * A password written into the database URL, in its authority (which the PostgreSQL driver does
   * not read: it took {@code bob:PASSWORD@127.0.0.1} for a host, one with a {@code /} "too many /
   * characters") or as a parameter, is refused where the file is validated, without quoting it; so
   * is a URL that is no PostgreSQL JDBC URL. The driver and the pool quoted such URLs in the log.
   */
  @ParameterizedTest
  @ValueSource(strings = {"server", "check", "db"})
  void aPasswordInTheDatabaseUrlIsRefusedWithoutEchoingIt(String command) throws Exception {
    for (String url :
        java.util.List.of(
            "jdbc:postgresql://bob:HUNTER3@127.0.0.1:1/x",
            "jdbc:postgresql://postgres:HUN/TER/slash@127.0.0.1:1/x",
            "jdbc:postgresql://postgres:HUNTER?q@127.0.0.1:1/x",
            "jdbc:postgresql://127.0.0.1:1?password=HUNTER6",
            "jdbc:postgresql://127.0.0.1:1/x?user=bob&PASSWORD=HUNTER5",
            "postgres://u:HUNTER4@127.0.0.1/x")) {
      Path config =
          Files.writeString(Files.createTempFile("gatehouse-url", ".yml"), "database: {driverClass: org.postgresql.Driver, url: '" + url + "'}\n");
      String[] run = CliRuns.fails(commandLine(command, config));
      assertThat(run[1]).as(url).contains(config + " has ").contains("database.url must not hold a password")
          .doesNotContain("HUN").doesNotContain("\tat ");
      assertThat(run[1].strip().lines()).hasSize(1);
      assertThat(run[0]).doesNotContain("HUN");
    }
    Path notPostgres = Files.writeString(Files.createTempFile("gatehouse-url", ".yml"),
        "database: {driverClass: org.postgresql.Driver, url: 'postgresql://127.0.0.1:1/x'}\n");
    assertThat(CliRuns.fails(commandLine(command, notPostgres))[1]).contains("database.url must be a PostgreSQL JDBC URL");
    // A URL without a password is taken (and then fails on the port, where nothing listens; check
    // has nothing to connect to).
    if (command.equals("check")) {
      return;
    }
    Path fine = Files.writeString(Files.createTempFile("gatehouse-url", ".yml"),
        "database: {driverClass: org.postgresql.Driver, url: 'jdbc:postgresql://127.0.0.1:1/x'}\n");
    assertThat(String.join("\n", CliRuns.fails(commandLine(command, fine)))).doesNotContain("must not hold a password");
  }

  /** A configuration file over 16 MiB (a link to /dev/zero filled the heap) is refused once that much is read. */
  @Test
  void aConfigurationFileLargerThanTheCapIsRefusedOnceItIsRead() throws Exception {
    Path big = Files.createTempFile("gatehouse-big", ".yml");
    try (var out = Files.newBufferedWriter(big)) {
      out.write(DATABASE);
      out.write("# ");
      char[] line = new char[1024];
      java.util.Arrays.fill(line, 'a');
      for (int i = 0; i < 17 * 1024; i++) {
        out.write(line);
      }
      out.write("\n");
    }
    String[] run = CliRuns.fails("check", big.toString());
    assertThat(run[1]).contains(big + " has an error: it is larger than 16 MiB").doesNotContain("\tat ");
    assertThat(run[1].strip().lines()).hasSize(1);
    Files.delete(big);
  }
}
