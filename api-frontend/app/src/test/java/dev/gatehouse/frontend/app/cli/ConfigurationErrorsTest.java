package dev.gatehouse.frontend.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
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

  @ParameterizedTest
  @ValueSource(strings = {"server", "worker", "check"})
  void aFileThatIsNotThereIsNamedWithoutAStackTrace(String command) throws Exception {
    Path missing = Files.createTempDirectory("gatehouse-config").resolve("missing.yml");
    String[] run = CliRuns.fails(command, missing.toString());
    assertThat(run[1].strip()).isEqualTo("File " + missing + " not found");
  }
}
