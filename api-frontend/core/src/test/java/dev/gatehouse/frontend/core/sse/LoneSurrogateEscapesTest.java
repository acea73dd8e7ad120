package dev.gatehouse.frontend.core.sse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoneSurrogateEscapesTest {
  private static final char HIGH = 0xD83D;
  private static final char LOW = 0xDE00;
  private static final String PAIR = new String(new char[] {HIGH, LOW});

  private static String written(List<String> writes, boolean flushBetween) throws IOException {
    StringWriter out = new StringWriter();
    LoneSurrogateEscapes w = new LoneSurrogateEscapes(out);
    for (String s : writes) {
      w.write(s);
      if (flushBetween) {
        w.flush();
      }
    }
    w.flush();
    return out.toString();
  }

  /** A probe's upstream resource held half of an emoji alone: the MCP SDK's writer sent three bytes that are not UTF-8. */
  @Test
  void aLoneHalfIsEscapedAndAPairIsKeptWhereverTheWritesCut() throws IOException {
    assertThat(written(List.of("{\"t\":\"a" + PAIR + "b\"}"), false)).isEqualTo("{\"t\":\"a" + PAIR + "b\"}");
    assertThat(written(List.of("{\"t\":\"a" + HIGH + "b" + LOW + "\"}"), false)).isEqualTo("{\"t\":\"a\\ud83db\\ude00\"}");
    // A pair cut between two writes stays a pair; cut by a flush, each half is escaped.
    assertThat(written(List.of("a" + HIGH, LOW + "b"), false)).isEqualTo("a" + PAIR + "b");
    assertThat(written(List.of("a" + HIGH, LOW + "b"), true)).isEqualTo("a\\ud83d\\ude00b");
    // A held half before something else, at the end, twice in a row.
    assertThat(written(List.of("a" + HIGH, "b"), false)).isEqualTo("a\\ud83db");
    assertThat(written(List.of("a" + HIGH), false)).isEqualTo("a\\ud83d");
    assertThat(written(List.of("" + HIGH + HIGH, "" + LOW), false)).isEqualTo("\\ud83d" + PAIR);
    assertThat(written(List.of("" + LOW + LOW), false)).isEqualTo("\\ude00\\ude00");
    assertThat(written(List.of("plain", "", "text"), false)).isEqualTo("plaintext");
  }
}
