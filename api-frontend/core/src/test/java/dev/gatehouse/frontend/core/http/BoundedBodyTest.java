package dev.gatehouse.frontend.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A request body is read whole up to the limit, whatever its Content-Length says. */
class BoundedBodyTest {
  private static final byte[] BODY = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}".getBytes(StandardCharsets.UTF_8);

  private static byte[] read(byte[] sent, long max, long declared) throws IOException {
    return BoundedBody.read(new ByteArrayInputStream(sent), max, declared);
  }

  @Test
  void aBodyOfItsDeclaredLengthIsReadWhole() throws IOException {
    assertThat(read(BODY, 1000, BODY.length)).isEqualTo(BODY);
    assertThat(read(BODY, BODY.length, BODY.length)).isEqualTo(BODY);
  }

  @Test
  void aBodyLongerThanDeclaredIsReadToItsEndWithinTheLimit() throws IOException {
    // What Jetty gives for a gzip body: the inflated bytes, longer than the Content-Length sent.
    assertThat(read(BODY, 1000, 10)).isEqualTo(BODY);
    assertThat(read(BODY, BODY.length, 10)).isEqualTo(BODY);
    assertThat(read(BODY, BODY.length - 1, 10)).isNull();
    assertThat(read(BODY, 10, 10)).isNull();
  }

  @Test
  void aBodyShorterThanDeclaredIsWhatArrived() throws IOException {
    assertThat(read(BODY, 1000, BODY.length + 50)).isEqualTo(BODY);
  }

  @Test
  void anUnknownOrOversizedDeclaredLengthReadsTheUsualWay() throws IOException {
    assertThat(read(BODY, 1000, -1)).isEqualTo(BODY);
    assertThat(read(BODY, 1000, 0)).isEqualTo(BODY);
    assertThat(read(BODY, 1000, 5000)).isEqualTo(BODY);
    assertThat(read(BODY, 10, -1)).isNull();
    assertThat(read(new byte[0], 1000, 0)).isEmpty();
  }

  @Test
  void aRefusalDrainsWhatIsLeftUnlessTheBodyDidNotCome() {
    ByteArrayInputStream refused = new ByteArrayInputStream(BODY);
    BoundedBody.drainBefore(401, refused, 1000);
    assertThat(refused.available()).isZero();

    ByteArrayInputStream bounded = new ByteArrayInputStream(BODY);
    BoundedBody.drainBefore(401, bounded, 10);
    assertThat(bounded.available()).isEqualTo(BODY.length - 10);

    // 408: a read already waited out the idle timeout (or the body came too slowly); not again.
    ByteArrayInputStream timedOut = new ByteArrayInputStream(BODY);
    BoundedBody.drainBefore(408, timedOut, 1000);
    assertThat(timedOut.available()).isEqualTo(BODY.length);
  }
}
