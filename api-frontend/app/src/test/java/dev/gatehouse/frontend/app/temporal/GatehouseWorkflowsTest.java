package dev.gatehouse.frontend.app.temporal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.workflows.spi.GatehouseWorkflow;
import dev.gatehouse.workflows.spi.TaskInput;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a Gatehouse process finds the workflows it offers: the built-in ones and teams' ones on the
 * class path or in configured jars, with {@code ServiceLoader}; and the mistakes in a team's jar
 * that stop the start with a message naming the provider.
 */
class GatehouseWorkflowsTest {
  @TempDir Path dir;

  @WorkflowInterface
  public interface Good {
    @WorkflowMethod(name = "team.good")
    String run(TaskInput input);
  }

  public static class GoodImpl implements Good {
    @Override
    public String run(TaskInput input) {
      return "ok";
    }
  }

  @WorkflowInterface
  public interface WrongArgument {
    @WorkflowMethod(name = "team.wrong-argument")
    String run(String input);
  }

  public static class WrongArgumentImpl implements WrongArgument {
    @Override
    public String run(String input) {
      return input;
    }
  }

  public static class GoodType implements GatehouseWorkflow {
    @Override
    public String name() {
      return "team.good";
    }

    @Override
    public Class<?> implementation() {
      return GoodImpl.class;
    }
  }

  /** Names its workflow otherwise than its implementation's workflow method. */
  public static class MisnamedType extends GoodType {
    @Override
    public String name() {
      return "team.other";
    }
  }

  /** Another provider of the same name (say, two versions of a team's jar). */
  public static class GoodTypeAgain extends GoodType {}

  public static class BadNameType extends GoodType {
    @Override
    public String name() {
      return "Team Good";
    }
  }

  public static class ReservedType extends GoodType {
    @Override
    public String name() {
      return "tool-call";
    }
  }

  public static class WrongArgumentType implements GatehouseWorkflow {
    @Override
    public String name() {
      return "team.wrong-argument";
    }

    @Override
    public Class<?> implementation() {
      return WrongArgumentImpl.class;
    }
  }

  /** A jar that lists {@code providers} as GatehouseWorkflow services (their classes come from the test class path). */
  private Path jar(String name, Class<?>... providers) throws IOException {
    Path jar = dir.resolve(name + ".jar");
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file)) {
      out.putNextEntry(new JarEntry("META-INF/services/" + GatehouseWorkflow.class.getName()));
      StringBuilder sb = new StringBuilder();
      for (Class<?> p : providers) {
        sb.append(p.getName()).append('\n');
      }
      out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    return jar;
  }

  @Test
  void theClassPathOffersTheBuiltInWorkflowsAndTheExampleAndRegistersTheirImplementations() {
    GatehouseWorkflows found = GatehouseWorkflows.discover();
    assertThat(found.tasks()).extracting(GatehouseWorkflow::name).containsExactly("agent", "pipeline", "support-triage");
    assertThat(found.implementations()).extracting(Class::getSimpleName)
        .contains("AgentWorkflowImpl", "PipelineWorkflowImpl", "TriageWorkflowImpl", "ToolCallWorkflowImpl");
  }

  @Test
  void aConfiguredJarAddsItsWorkflowsAndADirectoryTakesEveryJarInIt() throws IOException {
    Path good = jar("good", GoodType.class);
    assertThat(GatehouseWorkflows.discover(List.of(good)).tasks()).extracting(GatehouseWorkflow::name).contains("team.good");
    assertThat(GatehouseWorkflows.discover(List.of(dir)).tasks()).extracting(GatehouseWorkflow::name).contains("team.good");
  }

  @Test
  void mistakesInATeamsJarStopTheStartWithAMessageThatNamesTheProvider() throws IOException {
    assertThatThrownBy(() -> GatehouseWorkflows.discover(List.of(jar("misnamed", MisnamedType.class))))
        .hasMessageContaining(MisnamedType.class.getName())
        .hasMessageContaining("not 'team.other'");
    assertThatThrownBy(() -> GatehouseWorkflows.discover(List.of(jar("bad-name", BadNameType.class))))
        .hasMessageContaining("'Team Good' is not");
    assertThatThrownBy(() -> GatehouseWorkflows.discover(List.of(jar("reserved", ReservedType.class))))
        .hasMessageContaining("reserved");
    assertThatThrownBy(() -> GatehouseWorkflows.discover(List.of(jar("twice", GoodType.class, GoodTypeAgain.class))))
        .hasMessageContaining("registered twice");
    assertThatThrownBy(() -> GatehouseWorkflows.discover(List.of(jar("argument", WrongArgumentType.class))))
        .hasMessageContaining("must take one TaskInput");
    assertThatThrownBy(() -> GatehouseWorkflows.discover(List.of(dir.resolve("missing.jar"))))
        .hasMessageContaining("does not exist");
    Path notAJar = Files.writeString(dir.resolve("passwd"), "root:x:0:0::/root:/bin/sh\n");
    assertThatThrownBy(() -> GatehouseWorkflows.discover(List.of(notAJar))).hasMessageContaining("is not a jar file");
    // A jar cut short in a directory beside a good one, under a name in capitals: refused, not skipped.
    Path mixed = Files.createDirectory(dir.resolve("mixed"));
    Files.copy(jar("good-0.9.0", GoodType.class), mixed.resolve("good-0.9.0.jar"));
    byte[] whole = Files.readAllBytes(jar("good-0.10.0", GoodType.class));
    Files.write(mixed.resolve("GOOD-0.10.0.JAR"), java.util.Arrays.copyOf(whole, whole.length / 2));
    assertThatThrownBy(() -> GatehouseWorkflows.discover(List.of(mixed))).hasMessageContaining("GOOD-0.10.0.JAR is not a jar file");
  }

  @Test
  void twoVersionsOfOneJarInADirectoryStopTheStartInsteadOfRunningTheFirst() throws IOException {
    Path versions = Files.createDirectory(dir.resolve("versions"));
    Path older = jar("team-0.10.0", GoodType.class);
    Path newer = jar("team-0.9.0", GoodType.class);
    Files.move(older, versions.resolve(older.getFileName()));
    Files.move(newer, versions.resolve(newer.getFileName()));
    assertThatThrownBy(() -> GatehouseWorkflows.discover(List.of(versions)))
        .hasMessageContaining(GoodType.class.getName())
        .hasMessageContaining("team-0.10.0.jar")
        .hasMessageContaining("team-0.9.0.jar")
        .hasMessageContaining("two jars");
    // One jar given twice under two names is the same mistake.
    Path copy = Files.copy(versions.resolve("team-0.9.0.jar"), dir.resolve("copy.jar"));
    assertThatThrownBy(() -> GatehouseWorkflows.discover(List.of(versions.resolve("team-0.9.0.jar"), copy)))
        .hasMessageContaining("two jars");
  }

  @Test
  void teamsWorkflowsFailOnABugWhileTheBuiltInOnesDoNot() {
    // The interceptor is given the teams' types only: see TaskIndexInterceptor and GovernedTest.
    assertThat(GatehouseWorkflows.discover().interceptors()).hasSize(1);
    assertThat(GatehouseWorkflows.BUILT_IN).isEqualTo(Set.of("agent", "pipeline"));
  }
}
