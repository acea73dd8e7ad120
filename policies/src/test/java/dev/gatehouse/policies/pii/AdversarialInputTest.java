package dev.gatehouse.policies.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile inputs of 100k characters and more, shaped to make each detector's expression work as
 * hard as it can (long runs of the characters it takes, prefixes it starts on, near-misses over and
 * over). They must finish: the bound is the JUnit timeout, set generously; nothing here measures
 * time. Each goes through the one-shot scan and through a stream in small pieces, which must agree.
 */
class AdversarialInputTest {
  private static final PiiScanner SCANNER = Corpus.scanner();

  static List<String> inputs() {
    Random r = new Random(3);
    StringBuilder mixed = new StringBuilder();
    String hostile = "a@.-+0123456789 ():ABCDEFabcdef_/=\n";
    for (int i = 0; i < 150_000; i++) {
      mixed.append(hostile.charAt(r.nextInt(hostile.length())));
    }
    return List.of(
        "a@".repeat(50_000),
        "a".repeat(100_000) + "@",
        "a.".repeat(50_000) + "@example.com",
        "x@" + "a.".repeat(50_000),
        "1".repeat(100_000),
        "1 ".repeat(50_000),
        "1-".repeat(50_000),
        "+1 ".repeat(33_000),
        "+" + "1".repeat(100_000),
        "(1)".repeat(33_000),
        "4111 ".repeat(20_000),
        "192.168.".repeat(12_500),
        "1.".repeat(50_000),
        ":".repeat(100_000),
        "a:".repeat(50_000),
        "ffff:".repeat(20_000),
        "DE89 ".repeat(20_000),
        "DE".repeat(50_000),
        "AKIA".repeat(25_000),
        "sk-".repeat(33_000),
        "sk-" + "a".repeat(100_000),
        "eyJ".repeat(33_000),
        "eyJ" + "a".repeat(50_000) + "." + "b".repeat(50_000) + ".",
        "eyJ.".repeat(25_000),
        "-----BEGIN PRIVATE KEY-----\n" + "QUJD".repeat(25_000),
        "-----BEGIN ".repeat(10_000),
        "-----BEGIN PRIVATE KEY-----".repeat(4_000),
        "aws_secret_access_key=".repeat(5_000),
        "EMP-".repeat(25_000),
        mixed.toString());
  }

  @ParameterizedTest
  @MethodSource("inputs")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void hostileInputTerminatesAndStreamsAlike(String input) {
    List<PiiMatch> once = SCANNER.scan(input);
    String redacted = Redactor.apply(input, once);
    StreamingRedactor s = new StreamingRedactor(SCANNER);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < input.length(); i += 4_099) {
      out.append(s.push(input.substring(i, Math.min(input.length(), i + 4_099))));
      assertThat(s.holdback()).isLessThanOrEqualTo(SCANNER.maxHoldback());
    }
    assertThat(out.append(s.finish()).toString()).isEqualTo(redacted);
  }
}
