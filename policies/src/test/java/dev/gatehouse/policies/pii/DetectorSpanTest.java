package dev.gatehouse.policies.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * Holds each built-in detector to its {@link PiiDetector#maxSpan()}: no attempt, on the corpus or
 * on the hostile inputs, reads further than that from where it starts. Scanning relies on it (an
 * attempt that starts further back from the end of a stream's text cannot be waiting for more),
 * so a pattern change that reaches further fails here before it makes a stream differ.
 */
class DetectorSpanTest {

  /** Remembers the furthest index read. */
  static final class Reach implements CharSequence {
    final String text;
    int furthest = -1;

    Reach(String text) {
      this.text = text;
    }

    @Override
    public char charAt(int index) {
      furthest = Math.max(furthest, index);
      return text.charAt(index);
    }

    @Override
    public int length() {
      return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return text.subSequence(start, end);
    }

    @Override
    public String toString() {
      return text;
    }
  }

  @Test
  void noAttemptReadsPastItsDetectorsSpan() {
    List<String> inputs = new ArrayList<>();
    Corpus.load().forEach(c -> inputs.add(c.text()));
    for (String s : AdversarialInputTest.inputs()) {
      inputs.add(s.substring(0, Math.min(s.length(), 30_000)));
    }
    for (PiiDetector d : PiiDetector.allBuiltIn()) {
      int widest = 0;
      for (String text : inputs) {
        Reach reach = new Reach(text);
        Matcher m = d.pattern().matcher(reach).useTransparentBounds(true).useAnchoringBounds(false);
        for (int q = 0; q < text.length(); q = q < 3_000 ? q + 1 : q + 101) {
          reach.furthest = -1;
          m.region(q, text.length());
          m.lookingAt();
          widest = Math.max(widest, reach.furthest - q + 1);
        }
      }
      assertThat(widest).as("%s reads %d characters from where it starts", d, widest).isLessThanOrEqualTo(d.maxSpan());
    }
  }
}
