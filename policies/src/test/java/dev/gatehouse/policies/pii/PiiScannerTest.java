package dev.gatehouse.policies.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PiiScannerTest {
  private static final PiiScanner ALL = PiiScanner.allBuiltIn();

  @Test
  void matchesAreInOrderAndNeverOverlap() {
    String text = "alice@example.com, 4111111111111111, +1 202 555 0173, 536-22-1234, 192.0.2.1, DE89370400440532013000";
    List<PiiMatch> m = ALL.scan(text);
    assertThat(m).extracting(PiiMatch::label).containsExactly("EMAIL", "CARD", "PHONE", "SSN", "IP", "IBAN");
    for (int i = 1; i < m.size(); i++) {
      assertThat(m.get(i).start()).isGreaterThanOrEqualTo(m.get(i - 1).end());
    }
  }

  /** Each ASCII digit, letter and sign of {@code s} as its full-width form, spaces as ideographic spaces. */
  static String fullWidth(String s) {
    StringBuilder out = new StringBuilder();
    for (char c : s.toCharArray()) {
      out.append(c == ' ' ? (char) 0x3000 : c > ' ' && c < 0x7F ? (char) (c + 0xFEE0) : c);
    }
    return out.toString();
  }

  /** Each ASCII digit of {@code s} as the digit of the script whose zero is {@code zero}. */
  static String digits(String s, char zero) {
    StringBuilder out = new StringBuilder();
    for (char c : s.toCharArray()) {
      out.append(c >= '0' && c <= '9' ? (char) (zero + (c - '0')) : c);
    }
    return out.toString();
  }

  /** A probe's values that a model reads as what they spell passed every detector: full-width, other scripts' digits, Unicode spaces and dashes. */
  @Test
  void lookalikeDigitsSpacesAndDashesAreReadAsWhatTheySpell() {
    String nbsp = String.valueOf((char) 0xA0);
    String thin = String.valueOf((char) 0x2009);
    String enDash = String.valueOf((char) 0x2013);
    List<String> values = List.of(
        fullWidth("4111 1111 1111 1111"),
        digits("4111 1111 1111 1111", (char) 0x0660), // Arabic-Indic
        digits("4111 1111 1111 1111", (char) 0x0966), // Devanagari
        "4111" + nbsp + "1111" + nbsp + "1111" + nbsp + "1111",
        "4111" + thin + "1111" + thin + "1111" + thin + "1111",
        fullWidth("536-22-1234"),
        "536" + enDash + "22" + enDash + "1234",
        fullWidth("someone@example.com"),
        "someone" + (char) 0xFF20 + "example.com");
    List<String> labels = List.of("CARD", "CARD", "CARD", "CARD", "CARD", "SSN", "SSN", "EMAIL", "EMAIL");
    Redactor redactor = new Redactor(ALL);
    for (int i = 0; i < values.size(); i++) {
      String text = "see " + values.get(i) + " now";
      assertThat(ALL.scan(text)).as(text).extracting(PiiMatch::label).containsExactly(labels.get(i));
      assertThat(redactor.redact(text).text()).as(text).isEqualTo("see [" + labels.get(i) + "] now");
    }
    // Folding is only how the detectors read: what is not found goes on as it came.
    String plain = fullWidth("hello 42") + nbsp + enDash;
    assertThat(redactor.redact(plain).text()).isSameAs(plain);
    assertThat(ALL.scan(fullWidth("4111 1111 1111 1112"))).as("still Luhn-checked").isEmpty();
  }

  /** A failed call's error body, JSON as it was written: a probe's card after a "\\n" passed every entry. */
  @Test
  void aJsonEscapeBeforeOrAfterAValueReadsAsTheBreakItStandsFor() {
    Redactor redactor = new Redactor(ALL);
    String body = "{\"msg\":\"bad a\\n4111 1111 1111 1111\\tSSN 536-22-1234\\\"\",\"to\":\"x\\u000aalice@example.com\"}";
    assertThat(ALL.scan(body)).extracting(PiiMatch::label).containsExactly("CARD", "SSN", "EMAIL");
    assertThat(redactor.redact(body).text())
        .isEqualTo("{\"msg\":\"bad a\\n[CARD]\\tSSN [SSN]\\\"\",\"to\":\"x\\u000a[EMAIL]\"}");
    // An escaped backslash is one escape: the letter after it is a letter.
    assertThat(ALL.scan("path \\\\n4111 1111 1111 1111")).isEmpty();
  }

  @Test
  void theMatchThatStartsFirstWinsThenTheLongest() {
    // The digits are a card number, and the address contains them: the address starts first.
    assertThat(ALL.scan("4111111111111111@example.com")).extracting(PiiMatch::label).containsExactly("EMAIL");
    // The custom pattern and the card start together; the longer one wins.
    PiiScanner s = PiiScanner.of(Set.of(PiiKind.CARD), List.of(PiiDetector.custom("order", "[0-9]{16}-[0-9]{2}")));
    assertThat(s.scan("4111111111111111-12")).extracting(PiiMatch::label).containsExactly("ORDER");
  }

  @Test
  void ofEqualLengthsTheKindEarlierInPrecedenceWins() {
    PiiScanner s = PiiScanner.of(Set.of(PiiKind.CARD), List.of(PiiDetector.custom("digits", "[0-9]{16}")));
    assertThat(s.scan("4111111111111111")).extracting(PiiMatch::label).containsExactly("DIGITS");
    assertThat(PiiScanner.PRECEDENCE.indexOf(PiiKind.CUSTOM)).isLessThan(PiiScanner.PRECEDENCE.indexOf(PiiKind.CARD));
    assertThat(PiiScanner.PRECEDENCE).containsExactlyInAnyOrder(PiiKind.values());
  }

  @Test
  void onlyTheEnabledKindsAreLookedFor() {
    PiiScanner emailOnly = PiiScanner.of(Set.of(PiiKind.EMAIL), List.of());
    assertThat(emailOnly.scan("alice@example.com 4111111111111111")).extracting(PiiMatch::label).containsExactly("EMAIL");
    assertThat(PiiScanner.of(Set.of(), List.of()).scan("alice@example.com")).isEmpty();
  }

  @Test
  void customIsNotAKindToListAndNamesAreUnique() {
    assertThatThrownBy(() -> PiiScanner.of(EnumSet.of(PiiKind.CUSTOM), List.of())).isInstanceOf(IllegalArgumentException.class);
    PiiDetector a = PiiDetector.custom("ticket", "T-[0-9]{4}");
    PiiDetector b = PiiDetector.custom("TICKET", "TK[0-9]{4}");
    assertThatThrownBy(() -> PiiScanner.of(Set.of(), List.of(a, b))).hasMessageContaining("TICKET");
    assertThatThrownBy(() -> PiiScanner.of(Set.of(), PiiDetector.builtIn(PiiKind.EMAIL))).hasMessageContaining("not a custom pattern");
  }

  @Test
  void textLongerThanAWindowIsScannedInWindowsWithTheSameResult() {
    Random r = new Random(11);
    List<String> lines = Corpus.load().stream().map(Corpus.Case::text).toList();
    StringBuilder b = new StringBuilder();
    while (b.length() < 3 * PiiScanner.WINDOW + 1234) {
      b.append(lines.get(r.nextInt(lines.size()))).append(r.nextBoolean() ? " " : "");
    }
    String text = b.toString();
    PiiScanner s = Corpus.scanner();
    List<PiiMatch> windowed = s.scan(text);
    assertThat(windowed).isEqualTo(s.scanWhole(text));
    assertThat(windowed.size()).isGreaterThan(500);
  }

  @Test
  void aMatchAcrossAWindowEdgeIsFoundWhole() {
    String pad = "x".repeat(PiiScanner.WINDOW - 8) + " ";
    String text = pad + "alice@example.com and 4111 1111 1111 1111.";
    assertThat(ALL.scan(text)).extracting(PiiMatch::label, PiiMatch::start)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("EMAIL", pad.length()), org.assertj.core.groups.Tuple.tuple("CARD", pad.length() + 22));
  }

  @Test
  void theHoldbackBoundFollowsTheDetectors() {
    assertThat(ALL.maxHoldback()).isEqualTo(2 * ALL.detectors().stream().mapToInt(PiiDetector::maxSpan).max().orElseThrow());
    assertThat(PiiScanner.of(Set.of(PiiKind.CARD, PiiKind.US_SSN), List.of()).maxHoldback()).isEqualTo(64);
  }
}
