package dev.gatehouse.policies.pii;

import dev.gatehouse.policies.text.Lookalikes;
import java.util.ArrayList;
import java.util.List;

/**
 * Scans text that arrives in pieces, deciding as much of it as can be decided: the text before the
 * first position where more text could still change a detector's answer (and before any match
 * across that position). What is decided is handed out with its matches, and is the same as one
 * scan of the whole text would find there; the rest waits for more text or for {@link #finish}.
 *
 * <p>It keeps {@link PiiScanner#CONTEXT} characters of decided text for lookbehind, and the
 * undecided rest, which the bound of {@link PiiScanner#maxHoldback} keeps finite: were it ever to
 * grow past that (it cannot with the built-in detectors' spans), the stream decides it all as if
 * the text ended there, so masks still cover what matches but a longer match could be cut.
 */
final class Incremental {
  /** Text decided in one step, and the matches in it (offsets into {@code text}). */
  record Step(String text, List<PiiMatch> matches) {}

  private static final Step NOTHING = new Step("", List.of());

  private final List<PiiDetector> detectors;
  private final int maxHoldback;
  /** The text as the detectors read it ({@link Lookalikes}), of the same length as {@link #given}. */
  private final StringBuilder buf = new StringBuilder();
  /** The text as it came, which is handed out. */
  private final StringBuilder given = new StringBuilder();
  /** buf[0, decided) is decided text kept as context; buf[decided, length) is undecided. */
  private int decided;

  Incremental(PiiScanner scanner, int maxHoldback) {
    this.detectors = scanner.detectors();
    this.maxHoldback = maxHoldback;
  }

  Step push(CharSequence chunk) {
    buf.append(Lookalikes.folded(chunk));
    given.append(chunk);
    return advance(false);
  }

  /** The text ends: decides the rest. */
  Step finish() {
    return advance(true);
  }

  /** Characters received and not decided yet. */
  int held() {
    return buf.length() - decided;
  }

  private Step advance(boolean atEnd) {
    int to = buf.length();
    if (decided == to) {
      return NOTHING;
    }
    List<List<PiiMatch>> found = new ArrayList<>(detectors.size());
    int cut = to;
    for (PiiDetector d : detectors) {
      List<PiiMatch> l = new ArrayList<>();
      cut = Math.min(cut, d.scan(buf, decided, to, atEnd, l));
      found.add(l);
    }
    if (!atEnd) {
      cut = settle(found, cut);
      if (to - cut > maxHoldback) {
        return advance(true);
      }
    }
    List<PiiMatch> merged = PiiScanner.merge(found, cut);
    List<PiiMatch> step = new ArrayList<>(merged.size());
    for (PiiMatch m : merged) {
      step.add(m.shift(-decided));
    }
    String text = given.substring(decided, cut);
    decided = cut;
    if (decided > PiiScanner.CONTEXT) {
      int drop = decided - PiiScanner.CONTEXT;
      buf.delete(0, drop);
      given.delete(0, drop);
      decided -= drop;
    }
    return new Step(text, step);
  }

  /**
   * Moves the cut back to the start of any match (of any detector, standing or not) that runs
   * across it, until none does: a detector restarted at the cut then goes on exactly as it would
   * have through the whole text.
   */
  private static int settle(List<List<PiiMatch>> found, int cut) {
    boolean moved = true;
    while (moved) {
      moved = false;
      for (List<PiiMatch> l : found) {
        for (PiiMatch m : l) {
          if (m.start() < cut && m.end() > cut) {
            cut = m.start();
            moved = true;
          }
        }
      }
    }
    return cut;
  }
}
