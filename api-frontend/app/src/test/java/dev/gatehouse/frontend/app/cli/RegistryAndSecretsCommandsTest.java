package dev.gatehouse.frontend.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.frontend.app.GatehouseApplication;
import dev.gatehouse.registry.secrets.SecretBox;
import dev.gatehouse.registry.secrets.Secrets;
import dev.gatehouse.registry.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code gatehouse registry apply/export} and {@code gatehouse secrets rotate}, run as a user would. */
class RegistryAndSecretsCommandsTest {
  static final String OLD = SecretBox.newMasterKey();
  static final String NEW = SecretBox.newMasterKey();

  private static Path config(TestDatabase db, String secrets) throws Exception {
    Path config = Files.createTempFile("gatehouse-cli", ".yml");
    Files.writeString(config, """
        database:
          driverClass: org.postgresql.Driver
          url: %s
          user: %s
          password: "%s"
        logging:
          level: WARN
        %s
        """.formatted(db.url(), TestDatabase.USER, TestDatabase.PASSWORD, secrets));
    return config;
  }

  private static String run(String... args) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      new GatehouseApplication().run(args);
    } finally {
      System.setOut(original);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aCommandThatFailsSaysWhyInOneLineWithoutAStackTrace() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      Path config = config(db, "");
      String missing = db.url().replaceAll("\\W", "") + "-missing.yml";
      String err = CliRuns.fails("registry", "apply", missing, config.toString())[1];
      assertThat(err.strip()).isEqualTo("registry: no such file: " + missing);
      Path bad = Files.writeString(Files.createTempFile("registry", ".yml"), "tools:\n  - nmae: x\n");
      err = CliRuns.fails("registry", "apply", bad.toString(), config.toString())[1];
      assertThat(err).startsWith("registry: ").contains("nmae").doesNotContain("\tat ").doesNotContain("Exception");
      assertThat(err.strip().lines()).hasSize(1);
      err = CliRuns.fails("secrets", "rotate", config.toString())[1];
      assertThat(err).startsWith("secrets: ").doesNotContain("\tat ");
      assertThat(err.strip().lines()).hasSize(1);
    }
  }

  /** A registry file over 64 MiB is refused before it is read whole (a 70 MB file took 300 s and 1.8 GB). */
  @Test
  void aRegistryFileLargerThanTheCapIsRefusedUnread() throws Exception {
    Path config = Files.writeString(
        Files.createTempFile("gatehouse-cli", ".yml"),
        "database: {driverClass: org.postgresql.Driver, url: 'jdbc:postgresql://127.0.0.1:1/x'}\n");
    Path big = Files.createTempFile("registry-big", ".yml");
    try (var f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(BoundedFiles.MAX_REGISTRY_BYTES + 1L); // sparse: no disk, no time
    }
    String err = CliRuns.fails("registry", "apply", "--dry-run", big.toString(), config.toString())[1];
    assertThat(err.strip()).isEqualTo("registry: " + big + " is larger than 64 MiB, the most it may be");
  }

  @Test
  void applyThenExportRoundTrips() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      Path config = config(db, "");
      Path file = Files.createTempFile("registry", ".yml");
      Files.writeString(file, """
          tools:
            - name: weather.lookup
              http: {url: "http://127.0.0.1:9000/weather/{city}"}
          tenants:
            - name: acme
              agents:
                - name: planner
                  tools: {allow: ["weather.*"]}
                  workflows: {allow: [pipeline]}
          """);
      assertThat(run("registry", "apply", file.toString(), config.toString())).contains("1 tenant(s), 1 agent(s)").contains("3 change(s)");
      assertThat(run("registry", "apply", file.toString(), config.toString())).contains("0 change(s)");
      String exported = run("registry", "export", config.toString());
      assertThat(exported).contains("weather.lookup").contains("name: acme").contains("planner").contains("weather.*");
      assertThat(run("registry", "apply", "--dry-run", file.toString(), config.toString())).contains("is valid");
    }
  }

  @Test
  void rotateReSealsSecretsUnderTheActiveKey() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      new Secrets(db.jdbi(), new SecretBox(Map.of("old", OLD), "old")).put(null, "token", "s3cr3t-value");
      Path config = config(db, "secrets: {masterKeys: {old: \"" + OLD + "\", new: \"" + NEW + "\"}, activeKey: new}");
      assertThat(run("secrets", "rotate", config.toString())).contains("1 secret(s) re-encrypted under master key 'new'");
      assertThat(new Secrets(db.jdbi(), new SecretBox(Map.of("new", NEW), "new")).value(null, "token")).hasValue("s3cr3t-value");
    }
  }
}
