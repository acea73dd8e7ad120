package dev.gatehouse.activities.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Failures on the way to an upstream, described without Java names. */
class NetworkFailuresTest {

  @Test
  void aRefusedConnectionIsSaidInWords() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there now
    }
    Throwable failure;
    try {
      HttpClient.newHttpClient()
          .sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(), HttpResponse.BodyHandlers.discarding())
          .get();
      throw new AssertionError("connected to a closed port");
    } catch (ExecutionException e) {
      failure = e;
    }
    String text = NetworkFailures.describe(failure);
    assertThat(text).startsWith("connection refused").doesNotContain("Exception").doesNotContain("java.");
  }

  @Test
  void javaNamesInAMessageAreLeftOut() {
    assertThat(NetworkFailures.describe(new IOException("java.net.SocketException: Connection reset")))
        .isEqualTo("the connection was reset");
    assertThat(NetworkFailures.describe(new IOException("HTTP/1.1 header parser received no bytes")))
        .isEqualTo("the connection failed (HTTP/1.1 header parser received no bytes)");
    assertThat(NetworkFailures.describe(new RuntimeException(new IllegalStateException())))
        .isEqualTo("the call failed");
    assertThat(NetworkFailures.describe(new IllegalStateException("Invalid params: 'x' is required")))
        .isEqualTo("Invalid params: 'x' is required");
    assertThat(NetworkFailures.describe(new IllegalStateException("Cannot map java.lang.Object")))
        .isEqualTo("the call failed");
  }

  /**
   * The HTTP client's parse failures quote the bytes the upstream sent, which an upstream may
   * fill with the headers it received (a key): they are described without them.
   */
  /** An MCP server's error message, as its status, the log and agents get it. */
  @Test
  void anUpstreamsWordsLoseLineBreaksEscapesAndBidiOverrides() {
    String said = "boom\nWARN  [2026-12-06 22:00:00,000] AuditLog: dropped\r\n\u001b[2J\u001b[31mred \u202egnp.exe\u200b!\u2028x";
    assertThat(NetworkFailures.describe(new IllegalStateException(said)))
        .isEqualTo("boom WARN  [2026-12-06 22:00:00,000] AuditLog: dropped [2J [31mred  gnp.exe ! x");
    // cut at 200 characters, never between the halves of a surrogate pair
    String emoji = "x".repeat(199) + "\uD83D\uDE00 and more";
    assertThat(NetworkFailures.describe(new IllegalStateException(emoji))).isEqualTo("x".repeat(199));
  }

  @Test
  void anAnswerThatIsNotHttpIsSaidSoWithoutItsBytes() {
    String key = "Bearer sk-echoed-0123456789";
    List<Throwable> failures =
        List.of(
            new IOException(new org.apache.hc.core5.http.ParseException("Invalid response line", "HTTP/1.1 2000 " + key, 0, 20, 12)),
            new org.apache.hc.core5.http.ProtocolException("Invalid protocol version; error at offset 0: <" + key + " 200 OK>"),
            new IOException("Invalid header: <X-Echo " + key + ">", new org.apache.hc.core5.http.ProtocolException("Invalid header: <X-Echo " + key + ">")),
            new org.apache.hc.core5.http.MalformedChunkCodingException("Bad chunk header: " + key));
    for (Throwable f : failures) {
      assertThat(NetworkFailures.describe(f)).isEqualTo(NetworkFailures.NOT_HTTP).doesNotContain("sk-echoed");
    }
  }

  /** Reactor's waits that ran out: an audit saw their words (operators, nanoseconds) in agents' errors. */
  @Test
  void aReactorWaitThatRanOutIsSaidToHaveTimedOut() {
    Throwable timeout =
        catchThrowable(() -> reactor.core.publisher.Mono.never().timeout(java.time.Duration.ofMillis(1)).block());
    assertThat(timeout).hasMessageContaining("Did not observe any item");
    assertThat(NetworkFailures.describe(timeout)).isEqualTo("timed out");
    Throwable blocked = catchThrowable(() -> reactor.core.publisher.Mono.never().block(java.time.Duration.ofMillis(1)));
    assertThat(blocked).hasMessageContaining("Timeout on blocking read");
    assertThat(NetworkFailures.describe(blocked)).isEqualTo("timed out");
  }
}
