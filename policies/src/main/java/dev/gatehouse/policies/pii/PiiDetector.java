package dev.gatehouse.policies.pii;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.policies.text.BudgetedText;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One shape of personal data or secret: a regular expression that finds candidates and, for most
 * kinds, a check that a candidate must pass (a Luhn or mod-97 check digit, a country's IBAN length,
 * a JWT header that is JSON with an {@code alg}). The built-in detectors are {@link #builtIn}; an
 * operator's own patterns are {@link #custom}.
 *
 * <p>Three rules keep every detector cheap and streamable, and the tests hold them to it:
 *
 * <ul>
 *   <li><b>Bounded.</b> Every quantifier of a built-in expression has an upper bound, runs that
 *       could be split more than one way are possessive, and lookbehind reaches back at most
 *       {@link PiiScanner#CONTEXT} characters. So an attempt at one position reads at most
 *       {@link #maxSpan()} characters, and no input makes it backtrack without end (the adversarial
 *       tests run 100k-character hostile strings through every detector). A custom pattern is
 *       bounded from outside instead: see {@link #custom}.
 *   <li><b>Checks read only the candidate.</b> A check sees the characters the expression
 *       matched and nothing after them, so whether a position matches depends only on what the
 *       expression read; {@link Matcher#hitEnd()} then says exactly when more text could change the
 *       answer, which is what lets {@link StreamingRedactor} hold back no more than it must.
 *   <li><b>One way to scan.</b> From a position, the next match is the first position where the
 *       expression matches and the check passes; after a match, scanning goes on at its end, after
 *       a refused candidate at the next character. The one-shot scan and the streaming scan both
 *       follow this, so they find the same matches.
 * </ul>
 */
public final class PiiDetector {
  /** The longest custom pattern accepted, in characters of its source. */
  public static final int CUSTOM_MAX_PATTERN = 512;
  /** The longest text a custom pattern can match: it is tried on this many characters from each position. */
  public static final int CUSTOM_WINDOW = 256;
  /** Characters a custom pattern may read in one attempt before it is stopped (see {@link #custom}). */
  static final int CUSTOM_BUDGET = 100_000;
  /**
   * Characters a custom pattern may read over one scan, per character scanned, besides one
   * attempt's budget: what attempts that each read their whole window would read. Past it, the
   * rest of the scan is masked (see {@link #custom}).
   */
  static final int CUSTOM_READS_PER_CHAR = 258;
  /** Past a window's end, the characters {@code \b} and {@code $} may still look at. */
  private static final int CUSTOM_SLACK = 2;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "avif");

  /**
   * Refines a candidate the expression matched at {@code [start, end)}: the end of the match to
   * report (at most {@code end}, more than {@code start}), or -1 when the candidate is not one.
   * Reads only {@code text[start, end)}.
   */
  @FunctionalInterface
  interface Check {
    int end(CharSequence text, int start, int end);
  }

  private final PiiKind kind;
  private final String label;
  private final String name;
  private final Pattern pattern;
  private final Check check;
  private final int maxSpan;
  private final boolean custom;
  private final Needs needs;

  private PiiDetector(
      PiiKind kind, String label, String name, Pattern pattern, Check check, int maxSpan, boolean custom, Needs needs) {
    this.kind = kind;
    this.label = label;
    this.name = name;
    this.pattern = pattern;
    this.check = check;
    this.maxSpan = maxSpan;
    this.custom = custom;
    this.needs = needs;
  }

  private static PiiDetector of(PiiKind kind, String name, String regex, int maxSpan, Check check, Needs needs) {
    return new PiiDetector(kind, kind.label(), name, Pattern.compile(regex), check, maxSpan, false, needs);
  }

  /**
   * What a whole text must hold for a detector to find anything in it: a test far cheaper than the
   * expression, which tries every position of the text. A whole-text scan ({@link
   * PiiScanner#scanWhole}) asks it first and skips the detector when it fails, so a text without
   * an {@code @} costs the e-mail detector one pass over its characters, not an attempt at each.
   * It must never fail for a text the expression and its check would find a match in; {@code
   * PiiDetectorTest} holds every built-in detector to that over the labelled corpus and the
   * adversarial strings. A stream's pieces are not asked (a match may still be coming).
   */
  @FunctionalInterface
  interface Needs {
    boolean in(CharSequence text);

    /** No test: every text is scanned (custom patterns). */
    Needs NOTHING = text -> true;

    /** At least one of {@code literals}, as written. */
    static Needs any(String... literals) {
      return text -> {
        String t = text.toString();
        for (String l : literals) {
          if (t.contains(l)) {
            return true;
          }
        }
        return false;
      };
    }

    /** {@code literal} (lower case ASCII) in any case. */
    static Needs ignoringCase(String literal) {
      return text -> {
        String t = text.toString();
        for (int i = 0, last = t.length() - literal.length(); i <= last; i++) {
          if (t.regionMatches(true, i, literal, 0, literal.length())) {
            return true;
          }
        }
        return false;
      };
    }

    /** At least {@code n} ASCII digits. */
    static Needs digits(int n) {
      return text -> {
        int found = 0;
        for (int i = 0, len = text.length(); i < len; i++) {
          char c = text.charAt(i);
          if (c >= '0' && c <= '9' && ++found >= n) {
            return true;
          }
        }
        return false;
      };
    }

    default Needs and(Needs other) {
      return text -> in(text) && other.in(text);
    }
  }

  /** Whether {@code text} holds what this detector's matches need ({@link Needs}); when false it finds nothing there. */
  boolean mayMatch(CharSequence text) {
    return needs.in(text);
  }

  public PiiKind kind() {
    return kind;
  }

  /** The word of this detector's mask: its kind's label, or a custom pattern's name. */
  public String label() {
    return label;
  }

  /** A name for this detector in messages and tests ({@code card}, {@code jwt}, {@code custom:EMPLOYEE_ID}). */
  public String name() {
    return name;
  }

  /**
   * The most characters one attempt of this detector reads from where it starts, lookahead
   * included: no match is longer, and a streaming scan never holds back more for it.
   */
  public int maxSpan() {
    return maxSpan;
  }

  @Override
  public String toString() {
    return name;
  }

  /** The expression; for tests that hold {@link #maxSpan()} to what it reads. */
  Pattern pattern() {
    return pattern;
  }

  boolean isCustom() {
    return custom;
  }

  // ---------------------------------------------------------------------------------------------
  // The built-in detectors

  /** Octets 0-255 without leading zeros. */
  private static final String OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";

  private static final PiiDetector EMAIL =
      of(
          PiiKind.EMAIL,
          "email",
          // local part (an apostrophe inside it, as in o'hara, but not first: 'quoted' addresses),
          // @, one to eight dot-ended labels, a letters-only top-level domain; not followed by
          // ":path", which makes it an SSH remote (git@host:org/repo)
          "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-][A-Za-z0-9._%+'-]{0,63}@(?:[A-Za-z0-9-]{1,63}\\.){1,8}[A-Za-z]{2,24}"
              + "(?![A-Za-z0-9-]|:[A-Za-z0-9~/])",
          640,
          PiiDetector::checkEmail, Needs.any("@"));

  private static final PiiDetector PHONE_INTERNATIONAL =
      of(
          PiiKind.PHONE,
          "phone-international",
          // +, a country code's first digit, then digits each with an optional separator or bracket
          // (each repetition takes exactly one digit, so backing off is one step per digit)
          "(?<![\\w+])\\+[1-9](?:[ .-]?\\(?[0-9]\\)?){6,14}(?![\\w])",
          64,
          PiiDetector::checkInternationalPhone, Needs.any("+").and(Needs.digits(7)));

  private static final PiiDetector PHONE_NANP =
      of(
          PiiKind.PHONE,
          "phone-nanp",
          // North American numbers written with separators: (202) 555-0173, 202-555-0173, 1 800 555 0199
          "(?<![\\w+.-])(?:1[ .-]?)?(?:\\([2-9][0-9]{2}\\)[ .-]?|[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}(?![\\w]|[.-][0-9])",
          32,
          null, Needs.digits(10));

  private static final PiiDetector CARD =
      of(
          PiiKind.CARD,
          "card",
          "(?<![\\w.,+-])(?:"
              // 13 to 19 digits in one run
              + "[0-9]{13,19}(?![\\w]|[.,][0-9])"
              // groups of four (and a last group of three), one separator throughout
              + "|[0-9]{4}([ -])[0-9]{4}\\1[0-9]{4}\\1[0-9]{4}(?:\\1[0-9]{3})?(?![\\w]|[.,][0-9]|[ -][0-9]{4})"
              // American Express and Diners Club: 4-6-5 and 4-6-4
              + "|[0-9]{4}([ -])[0-9]{6}\\2[0-9]{4,5}(?![\\w]|[.,][0-9]|[ -][0-9]))",
          32,
          PiiDetector::checkCard, Needs.digits(13));

  private static final PiiDetector IBAN =
      of(
          PiiKind.IBAN,
          "iban",
          // country, check digits, then up to 30 letters or digits with single spaces between (the
          // check takes as many as the country's length: what follows may be a BIC or a word)
          "(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}+(?![a-z])",
          72,
          PiiDetector::checkIban, Needs.digits(2));

  private static final PiiDetector US_SSN =
      of(
          PiiKind.US_SSN,
          "us-ssn",
          // area (not 000, 666 or 9xx), group (not 00), serial (not 0000), the same separator twice
          "(?<![\\w.]|[0-9]-)(?!000|666|9)[0-9]{3}([ -])(?!00)[0-9]{2}\\1(?!0000)[0-9]{4}(?![\\w]|[.-]\\w)",
          16,
          null, Needs.digits(9));

  private static final PiiDetector IPV4 =
      of(
          PiiKind.IP,
          "ipv4",
          // not after a letter, a digit or a dot, nor after "version ", "release " or "build "
          "(?<![\\w.])(?<!(?i:version|release|build):? )"
              + OCTET + "(?:\\." + OCTET + "){3}(?![\\w]|\\.[0-9]|-[A-Za-z])",
          24,
          null, Needs.any(".").and(Needs.digits(4)));

  private static final PiiDetector IPV6 =
      of(
          PiiKind.IP,
          "ipv6",
          // a run of hex digits, colons and dots; the check parses it
          "(?<![\\w:.])[0-9A-Fa-f:.]{2,45}+(?![\\w:])",
          48,
          PiiDetector::checkIpv6, Needs.any(":"));

  private static final PiiDetector OPENAI_STYLE_KEY =
      of(
          PiiKind.CREDENTIAL,
          "sk-key",
          // sk-..., sk-proj-..., sk-ant-...: at least 20 key characters after "sk-"
          "(?<![\\w-])sk-[A-Za-z0-9_-]{20,512}+",
          520,
          PiiDetector::checkSkKey, Needs.any("sk-"));

  private static final PiiDetector STRIPE_KEY =
      of(PiiKind.CREDENTIAL, "stripe-key", "(?<![\\w-])[sr]k_(?:live|test)_[A-Za-z0-9]{16,247}+(?![\\w])", 264, null, Needs.any("k_live_", "k_test_"));

  private static final PiiDetector AWS_ACCESS_KEY =
      of(PiiKind.CREDENTIAL, "aws-access-key-id", "(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])", 24, null, Needs.any("AKIA", "ASIA"));

  private static final PiiDetector AWS_SECRET_KEY =
      of(
          PiiKind.CREDENTIAL,
          "aws-secret-access-key",
          // 40 characters right after a key named like an AWS secret key (JSON, YAML, env or INI).
          // The name is looked for last, behind the 40 characters, so that text without them costs
          // no more than a one-character look back.
          "(?<=[:=\"' \\t])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
              + "(?<=(?i:aws_secret_access_key|aws_secret_key|secret_access_key|secretaccesskey)[\"']?[ \\t]{0,3}[:=][ \\t]{0,3}[\"']?"
              + "[A-Za-z0-9/+]{40})",
          44,
          null, Needs.ignoringCase("secret"));

  private static final PiiDetector GITHUB_TOKEN =
      of(
          PiiKind.CREDENTIAL,
          "github-token",
          "(?<![\\w])(?:gh[pousr]_[A-Za-z0-9]{36,251}+|github_pat_[A-Za-z0-9_]{22,255}+)(?![\\w])",
          272,
          null, Needs.any("gh", "github_pat_"));

  private static final PiiDetector SLACK_TOKEN =
      of(PiiKind.CREDENTIAL, "slack-token", "(?<![\\w-])xox[abposr]-[A-Za-z0-9-]{10,250}+", 260, PiiDetector::checkHasDigits, Needs.any("xox"));

  private static final PiiDetector GOOGLE_API_KEY =
      of(PiiKind.CREDENTIAL, "google-api-key", "(?<![\\w-])AIza[0-9A-Za-z_-]{35}(?![\\w-])", 44, null, Needs.any("AIza"));

  private static final PiiDetector JWT =
      of(
          PiiKind.CREDENTIAL,
          "jwt",
          // header (JSON, so it starts with eyJ), payload, signature (empty for alg none)
          "(?<![\\w-])eyJ[A-Za-z0-9_-]{5,2048}+\\.[A-Za-z0-9_-]{2,8192}+\\.[A-Za-z0-9_-]{0,2048}+(?![\\w-])",
          12_320,
          PiiDetector::checkJwt, Needs.any("eyJ"));

  private static final String PEM_LABEL = "(?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----";

  private static final PiiDetector PRIVATE_KEY_BLOCK =
      of(
          PiiKind.CREDENTIAL,
          "private-key-block",
          // the BEGIN line, RFC 1421 headers (Proc-Type, DEK-Info), the base64 body, the END line
          // when it is there: a block cut short is masked up to where its body ends
          "-----BEGIN " + PEM_LABEL
              + "(?:[ \\t]{0,8}\\r?\\n[A-Za-z-]{1,32}: [^\\r\\n]{0,128}){0,6}+"
              + "[A-Za-z0-9+/=\\s]{0,16384}+"
              + "(?:-----END " + PEM_LABEL + ")?",
          17_600,
          null, Needs.any("-----BEGIN "));

  private static final List<PiiDetector> CREDENTIALS =
      List.of(PRIVATE_KEY_BLOCK, JWT, OPENAI_STYLE_KEY, STRIPE_KEY, AWS_ACCESS_KEY, AWS_SECRET_KEY, GITHUB_TOKEN, SLACK_TOKEN, GOOGLE_API_KEY);

  /** The built-in detectors of a kind (several for {@link PiiKind#CREDENTIAL}); none for {@link PiiKind#CUSTOM}. */
  public static List<PiiDetector> builtIn(PiiKind kind) {
    return switch (kind) {
      case EMAIL -> List.of(EMAIL);
      case PHONE -> List.of(PHONE_INTERNATIONAL, PHONE_NANP);
      case CARD -> List.of(CARD);
      case IBAN -> List.of(IBAN);
      case US_SSN -> List.of(US_SSN);
      case IP -> List.of(IPV4, IPV6);
      case CREDENTIAL -> CREDENTIALS;
      case CUSTOM -> List.of();
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Custom patterns

  /**
   * An operator's pattern, masked as {@code [NAME]} (the name upper-cased). Refused, with the
   * reason in the exception, when:
   *
   * <ul>
   *   <li>the name is not a letter and up to 31 letters, digits or underscores, or is the label of a
   *       built-in kind;
   *   <li>the pattern is longer than {@link #CUSTOM_MAX_PATTERN} characters, is not a valid Java
   *       regular expression, or matches the empty text;
   *   <li>it uses lookahead or lookbehind, a back-reference or {@code \G} (they would let a match
   *       depend on text outside its window, and back-references are not regular);
   *   <li>it repeats a group that has an unbounded repetition inside ({@code (a+)+},
   *       {@code (\w*,)*}, {@code (.*a){1,20}}): the shape of catastrophic backtracking.
   * </ul>
   *
   * <p>Scanning bounds it twice. It is tried at each position on at most {@link #CUSTOM_WINDOW}
   * characters (so no match is longer, and a streaming scan holds back at most that much for it),
   * and an attempt that reads more than {@link #CUSTOM_BUDGET} characters (backtracking the
   * static check does not catch, such as {@code (?:a{1,10}){1,30}c}) is stopped: its whole window is then
   * masked as a match, since a pattern that cannot be decided is not taken to have missed. And a
   * scan reads at most {@link #CUSTOM_READS_PER_CHAR} characters per character scanned (plus one
   * attempt's budget) in all: a pattern that backtracks a little at every position (such as
   * {@code (?:a{1,2}){1,12}c} over a long run of {@code a}, which took 44 s on 300,000 characters
   * when only each attempt was bounded) has the rest of the text masked once that is spent.
   */
  public static PiiDetector custom(String name, String regex) {
    if (name == null || !name.matches("[A-Za-z][A-Za-z0-9_]{0,31}")) {
      throw new IllegalArgumentException("a custom pattern's name is a letter and up to 31 letters, digits or underscores: " + name);
    }
    String label = name.toUpperCase(Locale.ROOT);
    if (PiiKind.ofLabel(label) != null) {
      throw new IllegalArgumentException("a custom pattern cannot be named like the built-in kind " + label);
    }
    if (regex == null || regex.isEmpty()) {
      throw new IllegalArgumentException("custom pattern " + label + " is empty");
    }
    if (regex.length() > CUSTOM_MAX_PATTERN) {
      throw new IllegalArgumentException("custom pattern " + label + " is longer than " + CUSTOM_MAX_PATTERN + " characters");
    }
    Pattern p;
    try {
      p = Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("custom pattern " + label + " is not a valid regular expression: " + e.getDescription());
    }
    String unsafe = RegexShape.unsafe(regex);
    if (unsafe != null) {
      throw new IllegalArgumentException("custom pattern " + label + " is refused: " + unsafe);
    }
    if (p.matcher("").matches()) {
      throw new IllegalArgumentException("custom pattern " + label + " matches the empty text");
    }
    return new PiiDetector(PiiKind.CUSTOM, label, "custom:" + label, p, null, CUSTOM_WINDOW + CUSTOM_SLACK, true, Needs.NOTHING);
  }

  // ---------------------------------------------------------------------------------------------
  // Scanning

  /**
   * Adds this detector's matches in {@code text[from, to)} to {@code out}, in order, and returns
   * the first position whose outcome is not decided yet, or {@code to} when all are.
   *
   * @param atEnd the text ends at {@code to}. When false (a stream whose rest has not arrived), a
   *     position whose attempt read up to {@code to} is undecided: scanning stops there, and the
   *     matches added are all before it and final.
   */
  int scan(CharSequence text, int from, int to, boolean atEnd, List<PiiMatch> out) {
    return custom ? scanWindowed(text, from, to, atEnd, out) : scanBuiltIn(text, from, to, atEnd, out);
  }

  private int scanBuiltIn(CharSequence text, int from, int to, boolean atEnd, List<PiiMatch> out) {
    Matcher m = pattern.matcher(text).useTransparentBounds(true).useAnchoringBounds(false);
    int pos = from;
    while (pos < to) {
      m.region(pos, to);
      boolean found = m.find();
      if (found && (atEnd || !m.hitEnd())) {
        pos = take(text, m.start(), m.end(), out);
        continue;
      }
      if (!found && atEnd) {
        return to;
      }
      // Some attempt read to the end of what is here: find the first one, position by position.
      // Every attempt before it is final, and so is a match it runs into first. An attempt reads
      // at most maxSpan characters, so none that starts further back can have reached the end.
      boolean advanced = false;
      int start = Math.max(pos, to - maxSpan);
      if (found) {
        start = Math.min(start, m.start());
      }
      for (pos = start; pos < to; pos++) {
        m.region(pos, to);
        boolean hit = m.lookingAt();
        if (m.hitEnd()) {
          return pos;
        }
        if (hit) {
          pos = take(text, pos, m.end(), out);
          advanced = true;
          break;
        }
      }
      if (!advanced) {
        return to;
      }
    }
    return to;
  }

  private int scanWindowed(CharSequence text, int from, int to, boolean atEnd, List<PiiMatch> out) {
    BudgetedText counted = new BudgetedText(text, CUSTOM_BUDGET);
    Matcher m = pattern.matcher(counted).useTransparentBounds(true).useAnchoringBounds(false);
    long left = CUSTOM_BUDGET + (long) CUSTOM_READS_PER_CHAR * Math.max(0, to - from);
    int pos = from;
    while (pos < to) {
      if (left <= 0) {
        // Spent on this text: what is left of it is undecided, and so masked, as a stopped
        // attempt's window is (a stream's next part is scanned with a budget of its own).
        out.add(new PiiMatch(kind, label, pos, to));
        return to;
      }
      int windowEnd = Math.min(to, pos + CUSTOM_WINDOW);
      m.region(pos, windowEnd);
      counted.reset();
      boolean hit;
      boolean stopped = false;
      try {
        hit = m.lookingAt();
      } catch (BudgetedText.Spent e) {
        hit = false;
        stopped = true;
      }
      left -= counted.reads();
      // The text past the window can only matter through \b or $, within CUSTOM_SLACK characters.
      boolean open = !atEnd && to - windowEnd <= CUSTOM_SLACK;
      if (open && (stopped || m.hitEnd())) {
        return pos;
      }
      if (stopped) {
        out.add(new PiiMatch(kind, label, pos, windowEnd));
        pos = windowEnd;
      } else if (hit && m.end() > pos) {
        out.add(new PiiMatch(kind, label, pos, m.end()));
        pos = m.end();
      } else {
        pos++;
      }
    }
    return to;
  }

  /** Checks the candidate {@code [start, end)}; returns where scanning goes on. */
  private int take(CharSequence text, int start, int end, List<PiiMatch> out) {
    if (end <= start) {
      return start + 1;
    }
    int reported = check == null ? end : check.end(text, start, end);
    if (reported <= start) {
      return start + 1;
    }
    out.add(new PiiMatch(kind, label, start, reported));
    return reported;
  }

  // ---------------------------------------------------------------------------------------------
  // Checks (each reads only text[start, end))

  private static int checkEmail(CharSequence text, int start, int end) {
    int dot = lastIndexOf(text, '.', start, end);
    String tld = text.subSequence(dot + 1, end).toString().toLowerCase(Locale.ROOT);
    // icon@2x.png is a file name
    return IMAGE_EXTENSIONS.contains(tld) ? -1 : end;
  }

  private static int checkInternationalPhone(CharSequence text, int start, int end) {
    int e = end;
    // a closing bracket of the sentence, right after the number, is not part of it
    if (text.charAt(e - 1) == ')' && count(text, ')', start, e) > count(text, '(', start, e)) {
      e--;
    }
    int digits = 0;
    int depth = 0;
    int opened = 0;
    for (int i = start; i < e; i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        digits++;
      } else if (c == '(') {
        depth++;
        opened++;
      } else if (c == ')' && --depth < 0) {
        return -1;
      }
    }
    if (depth != 0 || opened > 1 || digits < 8 || digits > 15) {
      return -1;
    }
    // +40.712776 is a signed decimal (a coordinate), not a number with one dot in it
    int separators = count(text, ' ', start, e) + count(text, '-', start, e) + count(text, '(', start, e);
    int dots = count(text, '.', start, e);
    return dots == 1 && separators == 0 ? -1 : e;
  }

  private static int count(CharSequence text, char c, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      if (text.charAt(i) == c) {
        n++;
      }
    }
    return n;
  }

  private static int checkCard(CharSequence text, int start, int end) {
    StringBuilder digits = new StringBuilder(19);
    boolean grouped = false;
    int sixteenth = -1;
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        digits.append(c);
        if (digits.length() == 16) {
          sixteenth = i + 1;
        }
      } else {
        grouped = true;
      }
    }
    if (Checksums.cardRange(digits) && Checksums.luhn(digits)) {
      return end;
    }
    // 4111 1111 1111 1111 123: a card number and the three digits written after it
    if (grouped && digits.length() == 19) {
      CharSequence first = digits.subSequence(0, 16);
      if (Checksums.cardRange(first) && Checksums.luhn(first)) {
        return sixteenth;
      }
    }
    return -1;
  }

  private static int checkIban(CharSequence text, int start, int end) {
    int length = Checksums.ibanLength(text.subSequence(start, start + 2));
    if (length == 0) {
      return -1;
    }
    StringBuilder iban = new StringBuilder(length);
    int i = start;
    for (; i < end && iban.length() < length; i++) {
      char c = text.charAt(i);
      if (c != ' ') {
        iban.append(c);
      }
    }
    if (iban.length() < length) {
      return -1;
    }
    // More characters right after the last one (no space) make it a longer code, not this IBAN.
    if (i < end && text.charAt(i) != ' ') {
      return -1;
    }
    return Checksums.ibanMod97(iban) ? i : -1;
  }

  private static int checkIpv6(CharSequence text, int start, int end) {
    int e = end;
    while (e > start && text.charAt(e - 1) == '.') {
      e--; // the full stop of a sentence
    }
    return Ipv6.valid(text, start, e) ? e : -1;
  }

  private static int checkSkKey(CharSequence text, int start, int end) {
    return countDigits(text, start + 3, end) >= 2 && hasLetter(text, start + 3, end) ? end : -1;
  }

  private static int checkHasDigits(CharSequence text, int start, int end) {
    return countDigits(text, start, end) >= 2 ? end : -1;
  }

  private static int checkJwt(CharSequence text, int start, int end) {
    int dot = indexOf(text, '.', start, end);
    int dot2 = indexOf(text, '.', dot + 1, end);
    try {
      byte[] header = Base64.getUrlDecoder().decode(text.subSequence(start, dot).toString());
      Base64.getUrlDecoder().decode(text.subSequence(dot + 1, dot2).toString());
      if (dot2 + 1 < end) {
        Base64.getUrlDecoder().decode(text.subSequence(dot2 + 1, end).toString());
      }
      JsonNode h = JSON.readTree(header);
      return h != null && h.isObject() && h.path("alg").isTextual() ? end : -1;
    } catch (IllegalArgumentException | java.io.IOException e) {
      return -1;
    }
  }

  private static int countDigits(CharSequence text, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        n++;
      }
    }
    return n;
  }

  private static boolean hasLetter(CharSequence text, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
        return true;
      }
    }
    return false;
  }

  private static int indexOf(CharSequence text, char c, int from, int to) {
    for (int i = from; i < to; i++) {
      if (text.charAt(i) == c) {
        return i;
      }
    }
    return -1;
  }

  private static int lastIndexOf(CharSequence text, char c, int from, int to) {
    for (int i = to - 1; i >= from; i--) {
      if (text.charAt(i) == c) {
        return i;
      }
    }
    return -1;
  }

  /** All built-in detectors, in the order of {@link PiiKind}; for tests. */
  static List<PiiDetector> allBuiltIn() {
    List<PiiDetector> all = new ArrayList<>();
    for (PiiKind k : PiiKind.values()) {
      all.addAll(builtIn(k));
    }
    return all;
  }
}
