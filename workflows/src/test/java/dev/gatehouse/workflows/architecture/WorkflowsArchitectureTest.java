package dev.gatehouse.workflows.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The workflows module holds deterministic code only: it uses nothing but the Temporal SDK, the
 * JSON tree types its records carry, the JDK's plain data types and itself, and none of the APIs
 * that make a replay differ from the first run (clocks, randomness, UUIDs, threads, I/O). These
 * rules replace review as the guard; {@link #theRulesCatchAViolation} shows they can fail.
 */
class WorkflowsArchitectureTest {
  private static final JavaClasses WORKFLOWS =
      new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.gatehouse.workflows");

  /**
   * Pure functions outside those packages that workflow code may use: SHA-256 of a call's
   * arguments (an approval is bound to it) and the UTF-8 charset it hashes them in.
   */
  static final DescribedPredicate<JavaClass> PURE_FUNCTIONS =
      JavaClass.Predicates.belongToAnyOf(
          java.security.MessageDigest.class, java.security.NoSuchAlgorithmException.class, java.nio.charset.StandardCharsets.class);

  static final ArchRule ONLY_TEMPORAL_AND_ITSELF =
      classes()
          .that()
          .resideInAPackage("dev.gatehouse.workflows..")
          .should()
          .onlyDependOnClassesThat(
              JavaClass.Predicates.resideInAnyPackage(
                      "dev.gatehouse.workflows..",
                      "io.temporal..",
                      // Workflow.getLogger's type: a logger that stays quiet during replay.
                      "org.slf4j..",
                      "com.fasterxml.jackson..",
                      "java.lang..",
                      "java.util..",
                      "java.time..",
                      "java.math..")
                  .or(PURE_FUNCTIONS))
          .because("the workflow classpath must offer nothing a workflow could misuse");

  static final ArchRule NO_NONDETERMINISM =
      noClasses()
          .that()
          .resideInAPackage("dev.gatehouse.workflows..")
          .should()
          .dependOnClassesThat(
              JavaClass.Predicates.resideInAnyPackage("java.util.concurrent..", "java.io..", "java.nio..", "java.net..", "java.lang.reflect..")
                  .and(DescribedPredicate.not(PURE_FUNCTIONS)))
          .orShould()
          .dependOnClassesThat()
          .belongToAnyOf(Thread.class, ThreadLocal.class, Runtime.class, java.util.Random.class, Clock.class, ProcessBuilder.class)
          .orShould()
          .callMethod(System.class, "currentTimeMillis")
          .orShould()
          .callMethod(System.class, "nanoTime")
          .orShould()
          .callMethod(System.class, "getenv", String.class)
          .orShould()
          .callMethod(Math.class, "random")
          .orShould()
          .callMethod(UUID.class, "randomUUID")
          .orShould()
          .callMethod(Instant.class, "now")
          .orShould()
          .callMethod(LocalDateTime.class, "now")
          .orShould()
          .callMethod(OffsetDateTime.class, "now")
          .orShould()
          .callMethod(ZonedDateTime.class, "now")
          .because("workflow code must replay exactly: time, randomness and ids come from Workflow.*, side effects from activities");

  @Test
  void workflowsUseOnlyTheTemporalSdkAndThemselves() {
    ONLY_TEMPORAL_AND_ITSELF.check(WORKFLOWS);
  }

  @Test
  void workflowsUseNoClockRandomnessThreadsOrIo() {
    NO_NONDETERMINISM.check(WORKFLOWS);
  }

  /** A class that breaks both rules, so the rules are seen to fail (it lives in the test sources only). */
  static final class NonDeterministicStep {
    long started = System.currentTimeMillis();
    String id = UUID.randomUUID().toString();
    java.io.File file = new java.io.File("x");
  }

  @Test
  void theRulesCatchAViolation() {
    JavaClasses bad = new ClassFileImporter().importClasses(NonDeterministicStep.class);
    assertThat(NO_NONDETERMINISM.evaluate(bad).hasViolation()).isTrue();
    assertThat(ONLY_TEMPORAL_AND_ITSELF.evaluate(bad).hasViolation()).isTrue();
  }
}
