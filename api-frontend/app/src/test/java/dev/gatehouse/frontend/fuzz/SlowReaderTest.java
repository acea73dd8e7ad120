package dev.gatehouse.frontend.fuzz;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.frontend.testing.CapturedLogs;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.RawHttp;
import dev.gatehouse.frontend.testing.TestGatehouse;
import io.dropwizard.util.DataSize;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that asks for a large answer and does not read it (limits.minResponseRate, 64 KiB/s
 * here to keep the test short; the connector's idle timeout is Dropwizard's 30 s): its connection
 * is closed within seconds, so the thread writing to it is free, and counted; a client that reads
 * gets the same answer whole.
 */
class SlowReaderTest {
  /** The fake provider's answer text: a model answer of about 3 MiB, more than the socket buffers hold. */
  static final int TEXT = 3 * 1024 * 1024;
  static final String CALL = "{\"model\":\"big-answers\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  static TestGatehouse gh;
  static FakeProvider fake;

  @BeforeAll
  static void start() throws Exception {
    gh = TestGatehouse.start(c -> c.getLimits().setMinResponseRate(DataSize.kibibytes(64)));
    fake = new FakeProvider().script(FakeProvider.Reply.text("x".repeat(TEXT)).withUsage(5, 5));
    gh.fakeModel("big-answers", fake.openaiBase());
  }

  @AfterAll
  static void stop() {
    try {
      if (gh != null) {
        gh.close();
      }
    } finally {
      if (fake != null) {
        fake.close();
      }
    }
  }

  private static double cutOff() {
    Matcher m = Pattern.compile("gatehouse_slow_readers_total ([0-9.E]+)").matcher(gh.adminGet("/prometheus").body());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  void aClientThatDoesNotReadItsLargeAnswerHasItsConnectionClosed() throws Exception {
    double before = cutOff();
    try (CapturedLogs jetty = CapturedLogs.of("org.eclipse.jetty", ch.qos.logback.classic.Level.WARN);
        CapturedLogs gatehouse = CapturedLogs.of("dev.gatehouse", ch.qos.logback.classic.Level.WARN);
        Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new InetSocketAddress("127.0.0.1", URI.create(gh.api()).getPort()));
      socket.setSoTimeout(30_000);
      byte[] body = CALL.getBytes(StandardCharsets.UTF_8);
      socket.getOutputStream().write(RawHttp.request("POST /v1/chat/completions HTTP/1.1", body,
          "Host", "localhost", "Authorization", "Bearer " + KEY_A, "Content-Type", "application/json",
          "Content-Length", Integer.toString(body.length), "Connection", "close"));

      // Nothing is read: the answer fills the socket buffers, and the write after them waits.
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (cutOff() == before && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(cutOff()).as("the connection was closed as a slow reader's, well within the 30 s idle timeout").isEqualTo(before + 1);

      // What the buffers held still arrives, then the connection ends short of the answer.
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      try {
        in.transferTo(got);
      } catch (java.net.SocketException reset) {
        // a reset is an end too
      }
      String answer = got.toString(StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 200");
      Matcher length = Pattern.compile("(?i)content-length: (\\d+)").matcher(answer);
      int received = got.size() - answer.indexOf("\r\n\r\n") - 4;
      if (length.find()) {
        assertThat(received).isLessThan(Integer.parseInt(length.group(1)));
      }
      assertThat(received).as("the answer was cut short").isLessThan(TEXT);
      // (Jetty may report a failed assert of its own here, which runs only under -ea: see CapturedLogs.)
      assertThat(jetty.messagesButJettyAssertions()).as("a slow reader is not a server error").isEmpty();
      assertThat(gatehouse.messages()).as("a slow reader is not a server error").isEmpty();
    }
  }

  @Test
  void aClientThatReadsGetsTheSameAnswerWhole() throws Exception {
    double before = cutOff();
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(gh.api() + "/v1/chat/completions"))
                    .header("Authorization", "Bearer " + KEY_A)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(CALL))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(TestGatehouse.json(r).at("/choices/0/message/content").asText()).hasSize(TEXT);
    assertThat(cutOff()).isEqualTo(before);
  }
}
