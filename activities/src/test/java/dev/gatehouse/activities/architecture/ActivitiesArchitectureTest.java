package dev.gatehouse.activities.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * Activities run in workers and behind every face, so they know no web framework: no Jersey, no
 * Dropwizard, no servlet API. A face adapts their results; they never shape an HTTP answer.
 */
class ActivitiesArchitectureTest {
  static final ArchRule NO_WEB_FRAMEWORK =
      noClasses()
          .that()
          .resideInAPackage("dev.gatehouse.activities..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("jakarta.ws.rs..", "org.glassfish.jersey..", "io.dropwizard..", "jakarta.servlet..", "dev.gatehouse.frontend..")
          .because("activities are called by workers and by every face alike");

  @Test
  void activitiesKnowNoJerseyOrDropwizard() {
    NO_WEB_FRAMEWORK.check(
        new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.gatehouse.activities"));
  }

  /** Breaks the rule, in the test sources only, so the rule is seen to fail. */
  static final class ShapesAnHttpAnswer {
    jakarta.servlet.http.HttpServletResponse answer() {
      return null;
    }
  }

  @Test
  void theRuleCatchesAViolation() {
    assertThat(NO_WEB_FRAMEWORK.evaluate(new ClassFileImporter().importClasses(ShapesAnHttpAnswer.class)).hasViolation()).isTrue();
  }
}
