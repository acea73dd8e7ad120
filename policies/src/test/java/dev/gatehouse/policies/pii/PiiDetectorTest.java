package dev.gatehouse.policies.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Each detector on the cases its rules are about: what it must find, and the look-alikes it must not. */
class PiiDetectorTest {
  private static final Redactor ALL = new Redactor(PiiScanner.allBuiltIn());

  private static String jwt(String header, String payload) {
    Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
    return b.encodeToString(header.getBytes()) + "." + b.encodeToString(payload.getBytes()) + ".c2lnbmF0dXJlLWJ5dGVz";
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // e-mail
        Arguments.of("mail alice@example.com now", "mail [EMAIL] now"),
        Arguments.of("'bob@example.org'", "'[EMAIL]'"),
        Arguments.of("o'hara@example.co.uk.", "[EMAIL]."),
        Arguments.of("icon@2x.png", "icon@2x.png"),
        Arguments.of("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        Arguments.of("root@localhost", "root@localhost"),
        // phone
        Arguments.of("call +1 (202) 555-0173.", "call [PHONE]."),
        Arguments.of("(+44 20 7946 0958)", "([PHONE])"),
        Arguments.of("202-555-0173 or 1-800-555-0199", "[PHONE] or [PHONE]"),
        Arguments.of("+40.712776 -74.005974", "+40.712776 -74.005974"),
        Arguments.of("order 123-456-7890", "order 123-456-7890"),
        Arguments.of("+12 345", "+12 345"),
        // card
        Arguments.of("4111111111111111", "[CARD]"),
        Arguments.of("4111 1111 1111 1111 123", "[CARD] 123"),
        Arguments.of("3782 822463 10005", "[CARD]"),
        Arguments.of("4111111111111112", "4111111111111112"),
        Arguments.of("1234567890123452", "1234567890123452"),
        Arguments.of("41111111111111111111", "41111111111111111111"),
        Arguments.of("0.4111111111111111", "0.4111111111111111"),
        Arguments.of("4111 1111 1111 1111 2222", "4111 1111 1111 1111 2222"),
        // IBAN
        Arguments.of("DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX", "[IBAN] BIC COBADEFFXXX"),
        Arguments.of("GB29NWBK60161331926819.", "[IBAN]."),
        Arguments.of("DE89 3704 0044 0532 0130 01", "DE89 3704 0044 0532 0130 01"),
        Arguments.of("DE89370400440532013000123", "DE89370400440532013000123"),
        Arguments.of("XX89370400440532013000", "XX89370400440532013000"),
        // SSN
        Arguments.of("ssn 536-22-1234", "ssn [SSN]"),
        Arguments.of("ssn 536 22 1234", "ssn [SSN]"),
        Arguments.of("000-22-1234 666-22-1234 912-22-1234", "000-22-1234 666-22-1234 912-22-1234"),
        Arguments.of("536-00-1234 536-22-0000", "536-00-1234 536-22-0000"),
        Arguments.of("536-22 1234 536-22-1234-rc1", "536-22 1234 536-22-1234-rc1"),
        // IP
        Arguments.of("from 192.0.2.1:443", "from [IP]:443"),
        Arguments.of("255.255.255.255 256.1.1.1 1.2.3.4.5", "[IP] 256.1.1.1 1.2.3.4.5"),
        Arguments.of("version 1.2.3.4 v1.2.3.4", "version 1.2.3.4 v1.2.3.4"),
        Arguments.of("[2001:db8::1]:80 fe80::1%eth0 ::1.", "[[IP]]:80 [IP]%eth0 [IP]."),
        Arguments.of("::ffff:192.0.2.1", "[IP]"),
        Arguments.of("2001:0db8:0000:0000:0000:ff00:0042:8329", "[IP]"),
        Arguments.of("a[1::2] 12:30:45 00:1A:2B:3C:4D:5E std::vec", "a[1::2] 12:30:45 00:1A:2B:3C:4D:5E std::vec"),
        Arguments.of("1:2:3:4:5:6:7:8:9 2001:db8::1::2", "1:2:3:4:5:6:7:8:9 2001:db8::1::2"),
        // credentials
        Arguments.of("sk-proj-Ab3dEf9hIjKlMnOpQrStUvWx12", "[CREDENTIAL]"),
        Arguments.of("sk-learn sk-your-api-key-goes-right-here", "sk-learn sk-your-api-key-goes-right-here"),
        Arguments.of("AKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPL", "[CREDENTIAL] AKIAIOSFODNN7EXAMPL"),
        Arguments.of("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key=[CREDENTIAL]"),
        Arguments.of("ghp_0123456789abcdefghijABCDEFGHIJ012345", "[CREDENTIAL]"),
        Arguments.of("sk_live_0123456789abcdefABCDEF", "[CREDENTIAL]"),
        Arguments.of("AIzaSyA-0123456789abcdefghijklmnopqrstu", "[CREDENTIAL]"),
        Arguments.of("Bearer " + jwt("{\"alg\":\"HS256\"}", "{\"sub\":\"1\"}"), "Bearer [CREDENTIAL]"),
        Arguments.of(jwt("{\"typ\":\"JWT\"}", "{\"sub\":\"1\"}"), jwt("{\"typ\":\"JWT\"}", "{\"sub\":\"1\"}")),
        Arguments.of(jwt("{\"alg\":1}", "{}"), jwt("{\"alg\":1}", "{}")),
        Arguments.of("eyJub3QganNvbg.eyJhIjoxfQ.c2ln", "eyJub3QganNvbg.eyJhIjoxfQ.c2ln"),
        Arguments.of("k:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBv0\n-----END EC PRIVATE KEY-----\nok", "k:\n[CREDENTIAL]\nok"),
        Arguments.of("-----BEGIN PUBLIC KEY-----\nMFkwEwYH\n-----END PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----\nMFkwEwYH\n-----END PUBLIC KEY-----"),
        // a block cut short is masked up to where its body ends
        Arguments.of("-----BEGIN RSA PRIVATE KEY-----\nMIIEow (cut)", "[CREDENTIAL](cut)"),
        // plain text
        Arguments.of("The quick brown fox, 42 times.", "The quick brown fox, 42 times."));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void redactsWhatItShouldAndNothingElse(String text, String redacted) {
    assertThat(ALL.redact(text).text()).isEqualTo(redacted);
  }

  @Test
  void everyBuiltInKindHasItsDetectorsAndLabel() {
    for (PiiKind k : PiiKind.values()) {
      if (k == PiiKind.CUSTOM) {
        assertThat(PiiDetector.builtIn(k)).isEmpty();
      } else {
        assertThat(PiiDetector.builtIn(k)).isNotEmpty().allSatisfy(d -> assertThat(d.label()).isEqualTo(k.label()));
      }
    }
    assertThat(PiiKind.US_SSN.label()).isEqualTo("SSN");
  }

  // -- custom patterns

  @Test
  void aCustomPatternIsMaskedByItsName() {
    PiiScanner s = PiiScanner.of(java.util.Set.of(), List.of(PiiDetector.custom("employee_id", "\\bEMP-[0-9]{6}\\b")));
    assertThat(new Redactor(s).redact("EMP-123456, XEMP-123456, EMP-1234567").text()).isEqualTo("[EMPLOYEE_ID], XEMP-123456, EMP-1234567");
  }

  @Test
  void aCustomMatchIsAtMostOneWindowLong() {
    PiiScanner s = PiiScanner.of(java.util.Set.of(), List.of(PiiDetector.custom("word", "[a-z]+")));
    List<PiiMatch> m = s.scan("a".repeat(600));
    assertThat(m).extracting(PiiMatch::length).containsExactly(256, 256, 88);
  }

  @Test
  void aCustomAttemptThatBacktracksPastItsBudgetMasksItsWindow() {
    // Exponential on a run of a's that does not end in c; the static check lets it through (no
    // unbounded repetition inside the group), the budget stops it.
    PiiScanner s = PiiScanner.of(java.util.Set.of(), List.of(PiiDetector.custom("slow", "(?:a{1,10}){1,30}c")));
    String text = "x " + "a".repeat(300) + " y";
    String red = new Redactor(s).redact(text).text();
    assertThat(red).startsWith("x [SLOW]").doesNotContain("a".repeat(60));
  }

  /**
   * A pattern that backtracks a little at every position, each attempt within its own budget,
   * is bounded over the whole text too: a probe's {@code (?:a{1,2}){1,12}c} took 44 s on 300,000
   * characters. Past the scan's budget the rest of the text is masked, as an attempt's window is.
   */
  @Test
  void aScanThatBacktracksAtEveryPositionMasksTheRestOnceItsBudgetIsSpent() {
    PiiScanner s = PiiScanner.of(java.util.Set.of(), List.of(PiiDetector.custom("cx", "(?:a{1,2}){1,12}c")));
    String red = new Redactor(s).redact("x " + "a".repeat(20_000) + " y").text();
    assertThat(red).startsWith("x ").endsWith("[CX]").doesNotContain(" y");
    // an ordinary text is not touched by it
    assertThat(new Redactor(s).redact("plain words, and aac here").text()).isEqualTo("plain words, and [CX] here");
  }

  @ParameterizedTest
  @ValueSource(strings = {"(?=x)y", "(?!x)y", "(?<=x)y", "(?<!x)y", "(a)\\1", "(?<n>a)\\k<n>", "\\Gx", "(a+)+b", "(\\w*,)*x", "(?:[a-z]{1,}\\.)+com", "(.*a){1,20}c", "(a*){2}", "x*", "a?"})
  void unsafeOrEmptyCustomPatternsAreRefused(String regex) {
    assertThatThrownBy(() -> PiiDetector.custom("x", regex)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"(?:[0-9]{3}-){2}[0-9]{4}", "[A-Z]{2}-\\d+", "(?i)project-(alpha|beta)", "[(]+x", "\\(+\\)", "a{2,5}(b|c)+"})
  void ordinaryCustomPatternsAreAccepted(String regex) {
    assertThat(PiiDetector.custom("ok", regex).label()).isEqualTo("OK");
  }

  @Test
  void customPatternNamesAndSizesAreChecked() {
    assertThatThrownBy(() -> PiiDetector.custom("email", "x")).hasMessageContaining("built-in kind EMAIL");
    assertThatThrownBy(() -> PiiDetector.custom("9lives", "x")).hasMessageContaining("name");
    assertThatThrownBy(() -> PiiDetector.custom("has space", "x")).hasMessageContaining("name");
    assertThatThrownBy(() -> PiiDetector.custom("big", "x".repeat(513))).hasMessageContaining("512");
    assertThatThrownBy(() -> PiiDetector.custom("bad", "(x")).hasMessageContaining("not a valid regular expression");
    assertThatThrownBy(() -> PiiDetector.custom("empty", "")).hasMessageContaining("empty");
  }

  @Test
  void whatADetectorNeedsIsInEveryTextItFindsSomethingIn() {
    // The texts: every case above, every corpus line, and the corpus lines run together (matches
    // that only a neighbour's characters make possible).
    List<String> texts = new ArrayList<>();
    cases().forEach(a -> texts.add((String) a.get()[0]));
    List<String> corpus = Corpus.load().stream().map(Corpus.Case::text).toList();
    texts.addAll(corpus);
    texts.add(String.join(" ", corpus));
    int found = 0;
    for (PiiKind kind : PiiKind.values()) {
      for (PiiDetector d : PiiDetector.builtIn(kind)) {
        for (String t : texts) {
          List<PiiMatch> matches = new ArrayList<>();
          d.scan(t, 0, t.length(), true, matches);
          if (!matches.isEmpty()) {
            found++;
            assertThat(d.mayMatch(t)).as("%s finds %s in \"%s\", so it may not be skipped there", d, matches, t).isTrue();
          }
        }
      }
    }
    assertThat(found).as("texts with matches checked").isGreaterThan(250);
  }

  @Test
  void aTextWithoutWhatADetectorNeedsIsNotScannedByIt() {
    assertThat(PiiDetector.builtIn(PiiKind.EMAIL).get(0).mayMatch("no address here, 4111111111111111")).isFalse();
    assertThat(PiiDetector.builtIn(PiiKind.CARD).get(0).mayMatch("ticket T-1001, 12 items")).isFalse();
    assertThat(PiiDetector.builtIn(PiiKind.CARD).get(0).mayMatch("4111 1111 1111 1111")).isTrue();
    assertThat(PiiDetector.custom("ticket", "T-[0-9]{4}").mayMatch("anything")).as("custom patterns are always scanned").isTrue();
    // And the scan of a whole text finds the same with and without it.
    PiiScanner all = PiiScanner.allBuiltIn();
    String mixed = "mail alice@example.com, card 4111 1111 1111 1111, key AKIAIOSFODNN7EXAMPLE, plain words";
    assertThat(all.scanWhole(mixed)).extracting(PiiMatch::label).containsExactly("EMAIL", "CARD", "CREDENTIAL");
  }
}
