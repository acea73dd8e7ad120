package dev.gatehouse.policies.guardrails;

import dev.gatehouse.policies.text.BudgetedText;
import dev.gatehouse.policies.text.Lookalikes;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Finds matches of the operator's regular expressions (Java syntax; flags inline, as
 * {@code (?i)}). A pattern may be at most {@value #MAX_PATTERN_CHARS} characters, a list at most
 * {@value #MAX_PATTERNS} patterns; a pattern that does not compile, or that matches the empty
 * string, is refused when the inspector is built, with an {@link IllegalArgumentException} that
 * names its index.
 *
 * <p>Two bounds keep a pattern from running away on hostile input. A pattern is applied to windows
 * of {@value #WINDOW} characters that overlap by {@value #MAX_MATCH}, so each search sees a bounded
 * input and any match up to {@value #MAX_MATCH} characters long is found (a longer one only when it
 * fits in one window). And each pattern has a step budget per string, counted in characters read:
 * {@value #STEPS_PER_CHAR} per character inspected plus {@value #BASE_STEPS}. Ordinary patterns use
 * a few steps per character; one that backtracks catastrophically ({@code ((a+)+)+b} on a run of
 * {@code a}, {@code .*.*.*=}, or {@code \w+@} on a long word) runs out. That is not passed over silently: the rest of the string
 * is reported as a finding of the pattern ("did not finish"), so its action applies, as for a
 * match. Zero-width matches (a lookahead alone) are ignored. The excerpt is always null: a match
 * may be the very secret the pattern guards.
 *
 * <p>A text that holds lookalikes ({@link Lookalikes}: full-width forms, other scripts' digits,
 * Unicode spaces and dashes) is searched twice, as it came and as it reads folded, each with its
 * own budget: a match in either is a finding, and overlapping ones of the two are one (their union).
 */
public final class DenyPatternInspector implements Inspector {
  public static final int MAX_PATTERNS = 64;
  public static final int MAX_PATTERN_CHARS = 1_000;
  static final int WINDOW = 8_192;
  static final int MAX_MATCH = 1_024;
  static final int STEPS_PER_CHAR = 16;
  static final int BASE_STEPS = 65_536;

  private final List<Pattern> patterns;

  /** A match, or a pattern that ran out of budget, in one search. */
  private record Found(int start, int end, String reason) {}

  /** @throws IllegalArgumentException naming the index of the first pattern that is not usable */
  public DenyPatternInspector(List<String> patterns) {
    if (patterns.size() > MAX_PATTERNS) {
      throw new IllegalArgumentException("at most " + MAX_PATTERNS + " deny patterns, not " + patterns.size());
    }
    List<Pattern> compiled = new ArrayList<>();
    for (int i = 0; i < patterns.size(); i++) {
      compiled.add(compile(i, patterns.get(i)));
    }
    this.patterns = List.copyOf(compiled);
  }

  /**
   * Compiles deny pattern {@code index}, or says why it cannot be used.
   *
   * @throws IllegalArgumentException "denyPatterns[index]: ..." when it is null, empty, longer than
   *     {@value #MAX_PATTERN_CHARS} characters, does not compile or matches the empty string
   */
  static Pattern compile(int index, String regex) {
    String name = "denyPatterns[" + index + "]";
    if (regex == null || regex.isEmpty()) {
      throw new IllegalArgumentException(name + " is empty");
    }
    if (regex.length() > MAX_PATTERN_CHARS) {
      throw new IllegalArgumentException(name + " is longer than " + MAX_PATTERN_CHARS + " characters");
    }
    Pattern p;
    try {
      p = Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(name + " does not compile: " + e.getDescription() + " near index " + e.getIndex(), e);
    } catch (RuntimeException | StackOverflowError e) {
      throw new IllegalArgumentException(name + " does not compile", e);
    }
    try {
      if (p.matcher("").matches()) {
        throw new IllegalArgumentException(name + " matches the empty string (it would match everywhere)");
      }
    } catch (StackOverflowError e) {
      throw new IllegalArgumentException(name + " cannot be evaluated", e);
    }
    return p;
  }

  @Override
  public FindingKind kind() {
    return FindingKind.DENY_PATTERN;
  }

  @Override
  public void inspect(String text, int limit, FindingSink sink) {
    CharSequence lookalikes = Lookalikes.folded(text);
    String folded = lookalikes == text ? text : lookalikes.toString(); // once, for every pattern
    for (int i = 0; i < patterns.size(); i++) {
      if (folded == text) {
        inspect(i, patterns.get(i), text, limit, sink);
        continue;
      }
      // The text as it came, then as it reads with its lookalikes folded (a full-width or
      // no-break-spaced phrase): a match in either stands, so a pattern written for the characters
      // themselves still finds them; matches of the two that overlap are one finding, their union
      // (ACCT-\d+ matches less of ACCT-12 followed by full-width digits as it came than folded).
      List<Found> found = new ArrayList<>();
      FindingSink collect = (k, start, end, reason, excerpt) -> found.add(new Found(start, end, reason));
      inspect(i, patterns.get(i), text, limit, collect);
      inspect(i, patterns.get(i), folded, limit, collect);
      found.sort(java.util.Comparator.comparingInt(Found::start));
      Found union = null;
      for (Found f : found) {
        if (union != null && f.start() < union.end()) {
          union = new Found(union.start(), Math.max(union.end(), f.end()), union.reason());
          continue;
        }
        if (union != null) {
          sink.report(FindingKind.DENY_PATTERN, union.start(), union.end(), union.reason(), null);
        }
        union = f;
      }
      if (union != null) {
        sink.report(FindingKind.DENY_PATTERN, union.start(), union.end(), union.reason(), null);
      }
    }
  }

  private static void inspect(int index, Pattern pattern, String text, int limit, FindingSink sink) {
    // One budget for every window of this pattern on this text: never reset.
    BudgetedText input = new BudgetedText(text, (long) STEPS_PER_CHAR * limit + BASE_STEPS);
    Matcher m = pattern.matcher(input).useTransparentBounds(true).useAnchoringBounds(false);
    String reason = "matches deny pattern #" + index;
    int lastEnd = 0;
    int from = 0;
    while (true) {
      int to = Math.min(limit, from + WINDOW);
      int acceptBefore = to == limit ? limit : to - MAX_MATCH;
      try {
        m.region(from, to);
        while (m.find()) {
          if (m.start() >= acceptBefore) {
            break; // the next window finds it, with more room
          }
          if (m.end() > m.start() && m.start() >= lastEnd) {
            sink.report(FindingKind.DENY_PATTERN, m.start(), m.end(), reason, null);
            lastEnd = m.end();
          }
        }
      } catch (BudgetedText.Spent e) {
        int start = Math.max(from, lastEnd);
        if (start < limit) {
          sink.report(FindingKind.DENY_PATTERN, start, limit,
              "deny pattern #" + index + " did not finish within its step budget (treated as a match)", null);
        }
        return;
      } catch (StackOverflowError e) { // deep recursion in java.util.regex on a long alternation
        int start = Math.max(from, lastEnd);
        if (start < limit) {
          sink.report(FindingKind.DENY_PATTERN, start, limit,
              "deny pattern #" + index + " could not be evaluated (treated as a match)", null);
        }
        return;
      }
      if (to == limit) {
        return;
      }
      from = acceptBefore;
    }
  }
}
