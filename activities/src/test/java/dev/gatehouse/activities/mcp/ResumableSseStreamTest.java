package dev.gatehouse.activities.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One SSE stream and its resumptions, against a real HTTP server on loopback: a dropped stream is
 * resumed with Last-Event-ID after the server's retry delay, a request stream stops once it has
 * its response, and one that cannot be resumed answers its request with an error.
 */
class ResumableSseStreamTest {
  private HttpServer server;
  private URI uri;
  /** What the server answers to the n-th GET (from 0); null: 500. */
  private volatile Function<Integer, String> script = n -> null;
  /** The Last-Event-ID of each GET, "-" for none. */
  private final List<String> gets = new CopyOnWriteArrayList<>();
  /** When each GET arrived (System.nanoTime()). */
  private final List<Long> getTimes = new CopyOnWriteArrayList<>();
  private final Owner owner = new Owner();

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext(
        "/mcp",
        ex -> {
          try {
            String body;
            if (ex.getRequestMethod().equals("POST")) {
              ex.getRequestBody().readAllBytes();
              body = script.apply(-1);
            } else {
              getTimes.add(System.nanoTime());
              String last = ex.getRequestHeaders().getFirst("Last-Event-ID");
              gets.add((last == null ? "-" : last) + " session=" + ex.getRequestHeaders().getFirst("Mcp-Session-Id"));
              body = script.apply(gets.size() - 1);
            }
            if (body == null) {
              ex.sendResponseHeaders(500, -1);
            } else if (body.startsWith("HTTP ")) {
              ex.sendResponseHeaders(Integer.parseInt(body.substring(5)), -1);
            } else {
              sse(ex, body);
            }
          } finally {
            ex.close();
          }
        });
    server.start();
    uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mcp");
  }

  @AfterEach
  void stop() {
    owner.closed = true;
    server.stop(0);
  }

  @Test
  void aListeningStreamThatDropsIsResumedWithLastEventIdAfterTheRetryDelay() throws Exception {
    script =
        n -> switch (n) {
          case 0 -> "retry: 200\nid: 1\ndata: a\n\n";
          case 1 -> "id: 2\ndata: b\n\ndata: c\n\n: the stream drops here\n";
          default -> "HTTP 405"; // no stream (any more): the listening stream is given up
        };
    ResumableSseStream stream = ResumableSseStream.listening(owner, "s1");
    stream.resume();
    assertThat(owner.listeningEnded.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(owner.received).containsExactly("a", "b", "c");
    assertThat(gets).containsExactly("- session=s1", "1 session=s1", "2 session=s1");
    assertThat(TimeUnit.NANOSECONDS.toMillis(getTimes.get(1) - getTimes.get(0))).as("waited retry: 200").isGreaterThanOrEqualTo(150);
  }

  @Test
  void aRequestStreamIsResumedUntilItsResponseArrivesAndNotAfter() throws Exception {
    script =
        n -> switch (n) {
          case -1 -> "id: e1\nretry: 20\ndata: \n\n"; // the priming event, then the server ends the stream
          case 0 -> "id: e2\ndata: progress\n\n";
          case 1 -> "id: e3\ndata: response\n\n";
          default -> "id: e4\ndata: too late\n\n";
        };
    owner.answers = "response";
    ResumableSseStream stream = post(7);
    assertThat(owner.answered.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(owner.requestIds).containsOnly(7);
    assertThat(gets).containsExactly("e1 session=s1", "e2 session=s1");
    Thread.sleep(300); // 15 times the retry delay: an answered stream is not resumed
    assertThat(gets).hasSize(2);
    assertThat(owner.received).containsExactly("progress", "response");
    assertThat(owner.failed).isNotDone();
    stream.stop();
  }

  @Test
  void aRequestStreamThatBringsNothingNewIsGivenUpAndItsRequestAnsweredWithAnError() throws Exception {
    script = n -> n == -1 ? "retry: 0\nid: x\ndata:\n\n" : ": nothing\n\n";
    post(8);
    assertThat(owner.failed.get(10, TimeUnit.SECONDS)).contains("could not be resumed (5 attempts)");
    assertThat(gets).hasSize(5).allMatch(g -> g.equals("x session=s1"));
  }

  @Test
  void aRequestStreamEndedAfterEveryEventWithRetryZeroIsResumedAtOnceOnlyTheFirstTime() throws Exception {
    // Every resumption brings something new, so the request is never given up: only its timeout ends it.
    script = n -> n == -1 ? "retry: 0\nid: e0\ndata:\n\n" : "id: e" + (n + 1) + "\ndata: progress " + n + "\n\n";
    ResumableSseStream stream = post(12);
    Thread.sleep(1500);
    stream.stop();
    int resumptions = gets.size();
    // Before, hundreds: each ended stream was resumed at once.
    assertThat(resumptions).as("resumptions in 1.5 s").isBetween(2, 1 + (int) (1500 / ResumableSseStream.MIN_REPEAT_RESUME_MILLIS) + 1);
    assertThat(TimeUnit.NANOSECONDS.toMillis(getTimes.get(1) - getTimes.get(0))).as("the second waited").isGreaterThanOrEqualTo(200);
    assertThat(owner.failed).isNotDone();
  }

  @Test
  void aRequestStreamWithoutAnEventIdCannotBeResumed() throws Exception {
    script = n -> n == -1 ? "data: {\"progress\":1}\n\n" : "id: never\n\n";
    post(9);
    assertThat(owner.failed.get(10, TimeUnit.SECONDS)).contains("without an event id");
    assertThat(gets).isEmpty();
    assertThat(owner.received).containsExactly("{\"progress\":1}");
  }

  @Test
  void aResumptionAnsweredWithoutAStreamFailsTheRequest() throws Exception {
    script = n -> n == -1 ? "retry: 0\nid: 5\n\n" : "HTTP 404";
    post(10);
    assertThat(owner.failed.get(10, TimeUnit.SECONDS)).contains("HTTP 404");
    assertThat(gets).containsExactly("5 session=s1");
  }

  @Test
  void anEventOverTheLimitFailsTheRequestInsteadOfBeingBuffered() throws Exception {
    String huge = "x".repeat(dev.gatehouse.activities.sse.SseParser.DEFAULT_MAX_EVENT_BYTES);
    script = n -> n == -1 ? "id: 1\ndata: " + huge + "\n\ndata: small\n\n" : "HTTP 500";
    post(11);
    assertThat(owner.failed.get(10, TimeUnit.SECONDS)).contains("over " + huge.length() + " bytes");
    assertThat(owner.done.await(10, TimeUnit.SECONDS)).as("the body is read to its end").isTrue();
    assertThat(owner.received).containsExactly("small");
    assertThat(gets).as("a failed request's stream is not resumed").isEmpty();
  }

  /** POSTs as the session does, with the stream reading the SSE answer. */
  private ResumableSseStream post(Object requestId) {
    ResumableSseStream stream = ResumableSseStream.ofPost(owner, requestId);
    HttpRequest request = owner.request("s1").POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    owner
        .http()
        .sendAsync(
            request,
            info -> {
              stream.accepted();
              return stream.readPost();
            })
        .whenComplete(
            (response, error) -> {
              stream.ended(error);
              owner.done.countDown();
            });
    return stream;
  }

  private static void sse(HttpExchange ex, String body) throws IOException {
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The transport's side, recording what reaches it. */
  private final class Owner implements ResumableSseStream.Owner {
    final HttpClient http = StreamableHttpClientTransport.newHttpClient(Duration.ofSeconds(5));
    final List<String> received = new CopyOnWriteArrayList<>();
    final List<Object> requestIds = new CopyOnWriteArrayList<>();
    final CountDownLatch answered = new CountDownLatch(1);
    final CountDownLatch listeningEnded = new CountDownLatch(1);
    final CountDownLatch done = new CountDownLatch(1);
    final CompletableFuture<String> failed = new CompletableFuture<>();
    volatile String answers;
    volatile boolean closed;

    @Override
    public boolean closed() {
      return closed;
    }

    @Override
    public String sessionId() {
      return "s1";
    }

    @Override
    public HttpRequest.Builder request(String session) {
      return HttpRequest.newBuilder(uri).header("Mcp-Session-Id", session);
    }

    @Override
    public HttpClient http() {
      return http;
    }

    @Override
    public boolean received(String data, Object requestId) {
      received.add(data);
      requestIds.add(requestId);
      if (data.equals(answers)) {
        answered.countDown();
        return true;
      }
      return false;
    }

    @Override
    public void failed(Object requestId, String why) {
      failed.complete(why);
    }

    @Override
    public void listeningEnded(ResumableSseStream stream) {
      listeningEnded.countDown();
    }
  }
}
