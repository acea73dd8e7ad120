package dev.gatehouse.frontend.core.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.activities.sse.SseEvent;
import dev.gatehouse.activities.sse.SseParser;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What SseWriter writes on a real servlet response reads back, event for event, with an SSE parser. */
class SseWriterTest {
  private Server server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.stop();
    }
  }

  private URI serve(HttpServlet servlet) throws Exception {
    server = new Server(new InetSocketAddress("127.0.0.1", 0));
    ServletContextHandler context = new ServletContextHandler();
    context.addServlet(new ServletHolder(servlet), "/*");
    server.setHandler(context);
    server.start();
    return URI.create("http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + "/");
  }

  private static List<SseEvent> read(HttpResponse<byte[]> response) {
    List<SseEvent> events = new ArrayList<>();
    SseParser parser =
        new SseParser(
            new SseParser.Listener() {
              @Override
              public void event(SseEvent event) {
                events.add(event);
              }

              @Override
              public void tooLarge(int maxEventBytes) {
                throw new AssertionError("no event is that large");
              }
            });
    parser.feed(response.body());
    return events;
  }

  @Test
  void eventsReadBackAsWrittenWhateverLineBreaksTheirDataHolds() throws Exception {
    URI uri =
        serve(
            new HttpServlet() {
              @Override
              protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
                SseWriter sse = new SseWriter(res);
                sse.event("1", "message", "{\"a\":1}");
                sse.comment("keep-alive");
                sse.event("2", null, "two\nlines");
                sse.event(null, "message", "crlf\r\nand cr\rend");
                sse.event("3", null, "data: not a field\n\nid: 99\nevent: forged");
                sse.event("4", null, "ünïcødé ✓");
              }
            });
    HttpResponse<byte[]> response =
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-cache");
    assertThat(read(response))
        .containsExactly(
            new SseEvent("1", "message", "{\"a\":1}", null),
            new SseEvent("2", "message", "two\nlines", null),
            new SseEvent("2", "message", "crlf\nand cr\nend", null),
            new SseEvent("3", "message", "data: not a field\n\nid: 99\nevent: forged", null),
            new SseEvent("4", "message", "ünïcødé ✓", null));
  }

  @Test
  void eventsFromManyThreadsArriveWhole() throws Exception {
    int threads = 8;
    int each = 50;
    URI uri =
        serve(
            new HttpServlet() {
              @Override
              protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
                SseWriter sse = new SseWriter(res);
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                CountDownLatch done = new CountDownLatch(threads);
                for (int t = 0; t < threads; t++) {
                  int thread = t;
                  pool.execute(
                      () -> {
                        try {
                          for (int i = 0; i < each; i++) {
                            sse.event(thread + "-" + i, null, "line one of " + thread + "/" + i + "\nline two");
                          }
                        } catch (IOException e) {
                          throw new IllegalStateException(e);
                        } finally {
                          done.countDown();
                        }
                      });
                }
                try {
                  done.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                pool.shutdown();
              }
            });
    List<SseEvent> events =
        read(HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray()));
    assertThat(events).hasSize(threads * each);
    assertThat(events).allSatisfy(e -> assertThat(e.data()).isEqualTo("line one of " + e.id().replace('-', '/') + "\nline two"));
  }

  @Test
  void aBreakInAnIdOrEventNameIsRefusedAndABadLastEventIdIsIgnored() throws Exception {
    List<Object> seen = new ArrayList<>();
    URI uri =
        serve(
            new HttpServlet() {
              @Override
              protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
                seen.add(SseWriter.lastEventId(req).orElse("none"));
                SseWriter sse = new SseWriter(res);
                assertThatThrownBy(() -> sse.event("1\nevent: x", null, "d")).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> sse.event(null, "a\rb", "d")).isInstanceOf(IllegalArgumentException.class);
                sse.event("ok", null, "d");
              }
            });
    HttpClient http = HttpClient.newHttpClient();
    List<SseEvent> events =
        read(http.send(HttpRequest.newBuilder(uri).header("Last-Event-ID", "41").build(), HttpResponse.BodyHandlers.ofByteArray()));
    assertThat(events).containsExactly(new SseEvent("ok", "message", "d", null));
    http.send(HttpRequest.newBuilder(uri).header("Last-Event-ID", "x".repeat(SseWriter.MAX_EVENT_ID + 1)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(seen).containsExactly("41", "none");
  }
}
