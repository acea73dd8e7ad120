package dev.gatehouse.frontend.app.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** If-Match as RFC 9110 reads it: {@code *} or a comma-separated list of entity tags, compared strongly. */
class ConditionalTest {

  @Test
  void anAbsentHeaderIsNoCondition() {
    assertThat(Conditional.IfMatch.parse(null)).isNull();
  }

  @Test
  void starMatchesAnyExistingVersion() {
    Conditional.IfMatch any = Conditional.IfMatch.parse(" * ");
    assertThat(any.matches("\"1\"")).isTrue();
    assertThat(any.matches(null)).as("no current version: nothing to match").isFalse();
  }

  @Test
  void aListMatchesWhenOneOfItsStrongTagsDoes() {
    Conditional.IfMatch list = Conditional.IfMatch.parse("\"1\" , W/\"2\",\"3\",,");
    assertThat(list.tags()).containsExactly("\"1\"", "W/\"2\"", "\"3\"");
    assertThat(list.matches("\"1\"")).isTrue();
    assertThat(list.matches("\"3\"")).isTrue();
    assertThat(list.matches("\"2\"")).as("a weak tag never matches").isFalse();
    assertThat(list.matches("\"4\"")).isFalse();
    assertThat(Conditional.etag(7)).isEqualTo("\"7\"");
  }

  @Test
  void anythingElseIs400() {
    for (String bad : List.of("", " ", ",", "1", "abc", "\"1", "W/1", "w/\"1\"", "\"1\" \"2\"", "*,\"1\"", "\"a b\"", "\"" + (char) 1 + "\"", "\"" + (char) 0x100 + "\"")) {
      assertThatThrownBy(() -> Conditional.IfMatch.parse(bad))
          .as("[" + bad + "]")
          .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.error()).isEqualTo(ErrorCode.INVALID_REQUEST));
    }
  }
}
