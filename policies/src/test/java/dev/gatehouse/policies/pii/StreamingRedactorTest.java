package dev.gatehouse.policies.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;

class StreamingRedactorTest {
  private static final PiiScanner SCANNER = Corpus.scanner();
  private static final Redactor ONE_SHOT = new Redactor(SCANNER);
  private static final List<String> TEXTS = Corpus.load().stream().map(Corpus.Case::text).toList();

  /** The text cut at the given points (sorted, deduplicated, within it). */
  static List<String> cut(String text, List<Integer> points) {
    List<Integer> at = points.stream().map(p -> Math.floorMod(p, text.length() + 1)).distinct().sorted().toList();
    List<String> pieces = new ArrayList<>();
    int from = 0;
    for (int p : at) {
      pieces.add(text.substring(from, p));
      from = p;
    }
    pieces.add(text.substring(from));
    return pieces;
  }

  static String stream(PiiScanner scanner, List<String> pieces) {
    StreamingRedactor s = new StreamingRedactor(scanner);
    StringBuilder out = new StringBuilder();
    for (String p : pieces) {
      out.append(s.push(p));
      assertThat(s.holdback()).isLessThanOrEqualTo(scanner.maxHoldback());
    }
    return out.append(s.finish()).toString();
  }

  @Provide
  Arbitrary<Tuple.Tuple2<String, List<Integer>>> chunkedCorpusText() {
    // One corpus line, or several joined (matches then meet at their edges too), and cut points.
    Arbitrary<String> text =
        net.jqwik.api.Combinators.combine(Arbitraries.of(TEXTS).list().ofMinSize(1).ofMaxSize(4), Arbitraries.of("", " ", "\n", "."))
            .as((lines, glue) -> String.join(glue, lines));
    Arbitrary<List<Integer>> points = Arbitraries.integers().between(0, 100_000).list().ofMaxSize(40);
    return net.jqwik.api.Combinators.combine(text, points).as(Tuple::of);
  }

  @Property(tries = 1500)
  void streamingEqualsOneShotForAnyChunking(@ForAll("chunkedCorpusText") Tuple.Tuple2<String, List<Integer>> c) {
    String text = c.get1();
    assertThat(stream(SCANNER, cut(text, c.get2()))).isEqualTo(ONE_SHOT.redact(text).text());
  }

  private static final PiiScanner CUSTOM_ONLY =
      PiiScanner.of(java.util.Set.of(), List.of(PiiDetector.custom("word", "[a-c]{3,}\\b"), PiiDetector.custom("last", "z$")));

  @Provide
  Arbitrary<Tuple.Tuple2<String, List<Integer>>> chunkedLetters() {
    // long runs that meet the custom window's edge, word boundaries, and an end anchor
    Arbitrary<String> text = Arbitraries.strings().withChars("abcz .\n").ofMaxLength(900);
    Arbitrary<List<Integer>> points = Arbitraries.integers().between(0, 100_000).list().ofMaxSize(30);
    return net.jqwik.api.Combinators.combine(text, points).as(Tuple::of);
  }

  @Property(tries = 500)
  void customPatternsStreamLikeOneShotToo(@ForAll("chunkedLetters") Tuple.Tuple2<String, List<Integer>> c) {
    String text = c.get1();
    assertThat(stream(CUSTOM_ONLY, cut(text, c.get2()))).isEqualTo(new Redactor(CUSTOM_ONLY).redact(text).text());
  }

  @Test
  void everyCorpusLineCharacterByCharacter() {
    for (String text : TEXTS) {
      List<String> chars = text.chars().mapToObj(ch -> String.valueOf((char) ch)).toList();
      assertThat(stream(SCANNER, chars)).as(text).isEqualTo(ONE_SHOT.redact(text).text());
    }
  }

  @Test
  void aCardNumberSplitAcrossChunksIsRedacted() {
    StreamingRedactor s = new StreamingRedactor(SCANNER);
    String out = s.push("Pay with 4111 11") + s.push("11 1111 1") + s.push("111 today.") + s.finish();
    assertThat(out).isEqualTo("Pay with [CARD] today.");
    assertThat(s.findings().count("CARD")).isEqualTo(1);
  }

  /** Lookalikes are folded as they arrive, and what is sent is the text as it came. */
  @Test
  void aFullWidthCardSplitAcrossChunksIsRedactedAndOtherFullWidthTextGoesOnAsItCame() {
    String text = PiiScannerTest.fullWidth("Pay 4111 1111 1111 1111 today, ok");
    List<String> chars = text.chars().mapToObj(ch -> String.valueOf((char) ch)).toList();
    String out = stream(SCANNER, chars);
    assertThat(out).isEqualTo(PiiScannerTest.fullWidth("Pay ") + "[CARD]" + PiiScannerTest.fullWidth(" today, ok"));
    assertThat(out).isEqualTo(ONE_SHOT.redact(text).text());
  }

  @Test
  void anAddressSplitAcrossChunksIsRedactedAndNothingOfItIsSentEarly() {
    StreamingRedactor s = new StreamingRedactor(SCANNER);
    String first = s.push("Write to ali");
    assertThat(first).isEqualTo("Write to ");
    String second = s.push("ce@exam");
    assertThat(second).isEmpty();
    String third = s.push("ple.com, then wait.");
    assertThat(first + second + third + s.finish()).isEqualTo("Write to [EMAIL], then wait.");
  }

  @Test
  void textThatCannotStartAMatchIsSentAtOnce() {
    StreamingRedactor s = new StreamingRedactor(SCANNER);
    assertThat(s.push("Hello, world. ")).isEqualTo("Hello, world. ");
    assertThat(s.holdback()).isZero();
    assertThat(s.push("The answer is: yes!\n")).isEqualTo("The answer is: yes!\n");
    assertThat(s.holdback()).isZero();
  }

  @Test
  void holdsBackOnlyTheSuffixThatCouldStillBecomeAMatch() {
    StreamingRedactor s = new StreamingRedactor(SCANNER);
    // "world" could be the start of world@example.com
    assertThat(s.push("Hello, world")).isEqualTo("Hello, ");
    assertThat(s.holdback()).isEqualTo("world".length());
    assertThat(s.push(". Card 4111 1111")).isEqualTo("world. Card ");
    assertThat(s.holdback()).isEqualTo("4111 1111".length());
    // "4111 1111 1111 1111." could still become the decimal 4111 1111 1111 1111.5
    assertThat(s.push(" 1111 1111.")).isEmpty();
    assertThat(s.push(" ")).isEqualTo("[CARD]. ");
    assertThat(s.holdback()).isZero();
  }

  @Test
  void aPrivateKeyBlockIsHeldUntilItEndsAndMaskedWhole() {
    StreamingRedactor s = new StreamingRedactor(SCANNER);
    StringBuilder out = new StringBuilder(s.push("key:\n-----BEGIN PRIVATE KEY-----\n"));
    for (int i = 0; i < 50; i++) {
      out.append(s.push("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"));
    }
    out.append(s.push("-----END PRIVATE KEY-----\nbye")).append(s.finish());
    assertThat(out.toString()).isEqualTo("key:\n[CREDENTIAL]\nbye");
  }

  @Test
  void holdbackStaysWithinItsBoundOnHostileStreams() {
    Random r = new Random(7);
    String[] alphabets = {"0123456789", "0123456789 -", "abc@.x", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ", "0123456789abcdef:.", "+0123456789 ()-"};
    for (String alphabet : alphabets) {
      StreamingRedactor s = new StreamingRedactor(SCANNER);
      StringBuilder in = new StringBuilder();
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < 2_000; i++) {
        StringBuilder piece = new StringBuilder();
        for (int k = 0, n = r.nextInt(12); k < n; k++) {
          piece.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        in.append(piece);
        out.append(s.push(piece));
        assertThat(s.holdback()).isLessThanOrEqualTo(SCANNER.maxHoldback());
      }
      assertThat(out.append(s.finish()).toString()).isEqualTo(ONE_SHOT.redact(in.toString()).text());
    }
  }

  @Test
  void pastTheHoldbackBoundTheStreamDecidesWhatItHolds() {
    // A bound far below the detectors' spans: the held start of an address is decided early.
    StreamingRedactor s = new StreamingRedactor(SCANNER, PiiPolicy.Action.REDACT, 8);
    String out = s.push("x alice.smith.jones") + s.push("@example.com y") + s.finish();
    assertThat(s.holdback()).isZero();
    assertThat(out).startsWith("x alice.smith.jones");
  }

  @Test
  void blockSendsTextUpToTheFirstMatchAndThenNothing() {
    StreamingRedactor s = new StreamingRedactor(SCANNER, PiiPolicy.Action.BLOCK);
    String out = s.push("Your SSN is 536-") + s.push("22-1234 and more") + s.push(" text") + s.finish();
    assertThat(out).isEqualTo("Your SSN is ");
    assertThat(s.blocked()).isTrue();
    assertThat(s.findings().count("SSN")).isEqualTo(1);
    assertThat(PiiPolicy.denial(s.findings()).code()).isEqualTo("pii_detected");
  }

  @Test
  void recordSendsEverythingAtOnceAndCounts() {
    StreamingRedactor s = new StreamingRedactor(SCANNER, PiiPolicy.Action.RECORD);
    assertThat(s.push("mail alice@exa")).isEqualTo("mail alice@exa");
    assertThat(s.holdback()).isZero();
    assertThat(s.push("mple.com now")).isEqualTo("mple.com now");
    assertThat(s.finish()).isEmpty();
    assertThat(s.findings().count("EMAIL")).isEqualTo(1);
  }

  @Test
  void aFinishedStreamTakesNoMore() {
    StreamingRedactor s = new StreamingRedactor(SCANNER);
    s.finish();
    assertThatThrownBy(() -> s.push("x")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(s::finish).isInstanceOf(IllegalStateException.class);
  }
}
