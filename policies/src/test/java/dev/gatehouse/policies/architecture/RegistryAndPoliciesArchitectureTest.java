package dev.gatehouse.policies.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * The registry and policies modules know no HTTP and no Temporal: they are used by workers, faces
 * and commands alike, and stay testable with nothing but PostgreSQL. (The registry is on this
 * module's classpath, so one rule guards both.)
 */
class RegistryAndPoliciesArchitectureTest {
  static final ArchRule NO_HTTP_OR_TEMPORAL =
      noClasses()
          .that()
          .resideInAnyPackage("dev.gatehouse.policies..", "dev.gatehouse.registry..")
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
          .because("registry stores and policies decide; calling out and running workflows belong to activities and faces");

  @Test
  void registryAndPoliciesKnowNoHttpOrTemporal() {
    var classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.gatehouse.policies", "dev.gatehouse.registry");
    org.assertj.core.api.Assertions.assertThat(classes.containPackage("dev.gatehouse.registry.yaml")).isTrue();
    NO_HTTP_OR_TEMPORAL.check(classes);
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
