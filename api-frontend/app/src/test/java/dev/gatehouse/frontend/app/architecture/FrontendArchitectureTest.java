package dev.gatehouse.frontend.app.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.alwaysTrue;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.gatehouse.frontend.mcp.McpFace;
import dev.gatehouse.frontend.tasks.TasksFace;
import org.junit.jupiter.api.Test;

/**
 * The front end's shape: every package under {@code dev.gatehouse.frontend} is the core, the app,
 * or a face. Faces depend on the core and on no other face (nor on the app); the core depends on
 * no face; only the app, which installs them all, sees everything. A new face module is covered
 * the day its package appears.
 */
class FrontendArchitectureTest {
  private static final JavaClasses FRONTEND =
      new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.gatehouse.frontend");

  static final ArchRule FACES_STAND_ALONE =
      slices()
          .matching("dev.gatehouse.frontend.(*)..")
          .namingSlices("$1")
          .should()
          .notDependOnEachOther()
          // Every face may use the core ...
          .ignoreDependency(alwaysTrue(), resideInAPackage("dev.gatehouse.frontend.core.."))
          // ... and the app wires them all.
          .ignoreDependency(resideInAPackage("dev.gatehouse.frontend.app.."), alwaysTrue())
          .because("a face uses the core and nothing of another face, so faces can be added and removed one at a time");

  @Test
  void facesDependOnTheCoreAndOnNoOtherFace() {
    assertThat(FRONTEND.contain(McpFace.class)).isTrue();
    assertThat(FRONTEND.contain(TasksFace.class)).isTrue();
    FACES_STAND_ALONE.check(FRONTEND);
  }

  @Test
  void theRuleCatchesAFaceThatUsesAnother() {
    JavaClasses bad =
        new ClassFileImporter()
            .importClasses(dev.gatehouse.frontend.tasks.architecturefixture.FaceUsingAnotherFace.class, McpFace.class);
    assertThat(FACES_STAND_ALONE.evaluate(bad).hasViolation()).isTrue();
  }
}
