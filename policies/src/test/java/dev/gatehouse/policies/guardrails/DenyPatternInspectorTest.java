package dev.gatehouse.policies.guardrails;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class DenyPatternInspectorTest {

  @Test
  void findsEveryMatchOfEveryPatternWithoutAnExcerpt() {
    DenyPatternInspector d = new DenyPatternInspector(List.of("AKIA[0-9A-Z]{16}", "(?i)internal use only"));
    String text = "key AKIAABCDEFGHIJKLMNOP and AKIAQRSTUVWXYZ234567; INTERNAL USE ONLY";
    List<Finding> found = d.inspect(text);
    assertThat(found).hasSize(3);
    assertThat(found).allSatisfy(f -> assertThat(f.excerpt()).isNull());
    assertThat(text.substring(found.get(0).start(), found.get(0).end())).isEqualTo("AKIAABCDEFGHIJKLMNOP");
    assertThat(found.get(2).reason()).isEqualTo("matches deny pattern #1");
  }

  /** A probe's full-width and no-break-spaced phrase passed a pattern that matched it written plainly. */
  @Test
  void aPhraseWrittenInLookalikesIsFoundWhereItStands() {
    DenyPatternInspector d = new DenyPatternInspector(List.of("(?i)project falcon", "[\u0660-\u0669]{4}"));
    StringBuilder fullWidth = new StringBuilder();
    for (char c : "Project".toCharArray()) {
      fullWidth.append((char) (c + 0xFEE0));
    }
    String text = "about " + fullWidth + (char) 0xA0 + "Falcon, and project falcon";
    List<Finding> found = d.inspect(text);
    assertThat(found).extracting(Finding::start).containsExactly(6, 26);
    assertThat(found.get(0).end()).isEqualTo(6 + "Project Falcon".length());

    // A match that goes on into lookalikes is the longer one, not the part found as it came.
    DenyPatternInspector account = new DenyPatternInspector(List.of("ACCT-\\d+"));
    String digits = "ACCT-12" + (char) 0xFF13 + (char) 0xFF14 + " end";
    assertThat(account.inspect(digits)).singleElement().satisfies(f -> {
      assertThat(f.start()).isZero();
      assertThat(f.end()).isEqualTo(9);
    });

    // A JSON escape reads as the break it stands for (a failed call's error body, JSON as written).
    DenyPatternInspector word = new DenyPatternInspector(List.of("\\bcodeword\\b"));
    assertThat(word.inspect("{\"e\":\"x\\ncodeword\\t\"}")).extracting(Finding::start).containsExactly(9);

    // A pattern written for the characters themselves still finds them.
    String arabic = "code " + (char) 0x0664 + (char) 0x0661 + (char) 0x0661 + (char) 0x0661 + " ok" + (char) 0xA0;
    assertThat(d.inspect(arabic)).extracting(Finding::reason).containsExactly("matches deny pattern #1");
  }

  @Test
  void refusesUnusablePatternsNamingTheirIndex() {
    assertThatThrownBy(() -> new DenyPatternInspector(List.of("ok", "(unclosed")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("denyPatterns[1] does not compile");
    assertThatThrownBy(() -> new DenyPatternInspector(List.of("a*")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("denyPatterns[0] matches the empty string");
    assertThatThrownBy(() -> new DenyPatternInspector(List.of("x", "")))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("denyPatterns[1] is empty");
    assertThatThrownBy(() -> new DenyPatternInspector(Collections.singletonList(null)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("denyPatterns[0] is empty");
    assertThatThrownBy(() -> new DenyPatternInspector(List.of("x".repeat(DenyPatternInspector.MAX_PATTERN_CHARS + 1))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer than");
    List<String> many = new ArrayList<>(Collections.nCopies(DenyPatternInspector.MAX_PATTERNS + 1, "x"));
    assertThatThrownBy(() -> new DenyPatternInspector(many)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void findsMatchesAcrossWindowEdgesOnceEach() {
    DenyPatternInspector d = new DenyPatternInspector(List.of("secret-[0-9]{4}"));
    StringBuilder b = new StringBuilder();
    List<Integer> at = new ArrayList<>();
    while (b.length() < 5 * DenyPatternInspector.WINDOW) {
      b.append("x".repeat(997));
      at.add(b.length());
      b.append("secret-1234");
    }
    List<Finding> found = d.inspect(b.toString());
    assertThat(found).extracting(Finding::start).containsExactlyElementsOf(at);
  }

  @Test
  void aMatchUpToTheMaximumLengthIsFoundAnywhere() {
    DenyPatternInspector d = new DenyPatternInspector(List.of("<<[a-z]+>>"));
    String body = "<<" + "q".repeat(DenyPatternInspector.MAX_MATCH - 4) + ">>";
    for (int offset = DenyPatternInspector.WINDOW - DenyPatternInspector.MAX_MATCH - 3; offset < DenyPatternInspector.WINDOW + 3; offset += 97) {
      String text = " ".repeat(offset) + body + " tail";
      List<Finding> found = d.inspect(text);
      assertThat(found).as("at " + offset).hasSize(1);
      assertThat(found.get(0).end() - found.get(0).start()).isEqualTo(body.length());
    }
  }

  @Test
  void zeroWidthMatchesAreIgnored() {
    DenyPatternInspector d = new DenyPatternInspector(List.of("(?=secret)"));
    assertThat(d.inspect("a secret")).isEmpty();
  }

  @Test
  @Timeout(60)
  void aCatastrophicPatternRunsOutOfBudgetAndIsReportedNotSkipped() {
    // java.util.regex memoizes (a+)+$ since Java 9; nesting one level more still backtracks exponentially.
    DenyPatternInspector d = new DenyPatternInspector(List.of("((a+)+)+b"));
    String text = "ok " + "a".repeat(40) + "!";
    List<Finding> found = d.inspect(text);
    assertThat(found).hasSize(1);
    assertThat(found.get(0).reason()).contains("did not finish within its step budget");
    assertThat(found.get(0).end()).isEqualTo(text.length());
  }

  @Test
  @Timeout(60)
  void aQuadraticPatternOnALongWordTerminates() {
    DenyPatternInspector d = new DenyPatternInspector(List.of("\\w+@\\w+\\.com"));
    String text = "z".repeat(200_000);
    List<Finding> found = d.inspect(text);
    assertThat(found).hasSize(1);
    assertThat(found.get(0).reason()).contains("did not finish");
  }

  @Test
  void anOrdinaryPatternStaysWithinBudgetOnLargeInput() {
    DenyPatternInspector d = new DenyPatternInspector(List.of("(?i)\\bpassword\\s*[:=]\\s*\\S+", "\\b[0-9]{3}-[0-9]{2}-[0-9]{4}\\b"));
    String text = "The quick brown fox jumps over 123-45-678 dogs. ".repeat(40_000) + "password: hunter2";
    List<Finding> found = d.inspect(text);
    assertThat(found).hasSize(1);
    assertThat(found.get(0).reason()).isEqualTo("matches deny pattern #0");
  }
}
