package dev.gatehouse.registry.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * The registry module knows no HTTP and no Temporal: it is used by workers, faces and commands alike,
 * and stays testable with nothing but PostgreSQL.
 */
class RegistryArchitectureTest {
  static final ArchRule NO_HTTP_OR_TEMPORAL =
      noClasses()
          .that()
          .resideInAPackage("dev.gatehouse.registry..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "java.net.http..",
              "com.sun.net.httpserver..",
              "jakarta.servlet..",
              "jakarta.ws.rs..",
              "org.glassfish.jersey..",
              "org.eclipse.jetty..",
              "io.dropwizard..",
              "io.temporal..",
              "dev.gatehouse.activities..",
              "dev.gatehouse.frontend..")
          .orShould()
          .dependOnClassesThat()
          .belongToAnyOf(java.net.HttpURLConnection.class)
          .because("registry decides and stores; calling out and running workflows belong to activities and faces");

  @Test
  void registryKnowsNoHttpOrTemporal() {
    NO_HTTP_OR_TEMPORAL.check(
        new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.gatehouse.registry"));
  }

  /** Breaks the rule, in the test sources only, so the rule is seen to fail. */
  static final class CallsOut {
    java.net.http.HttpClient client() {
      return java.net.http.HttpClient.newHttpClient();
    }
  }

  @Test
  void theRuleCatchesAViolation() {
    assertThat(NO_HTTP_OR_TEMPORAL.evaluate(new ClassFileImporter().importClasses(CallsOut.class)).hasViolation()).isTrue();
  }
}
