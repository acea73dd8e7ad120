package dev.gatehouse.activities.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.activities.credentials.UpstreamCredentials;
import dev.gatehouse.activities.http.BlockingHttp;
import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.tools.UpstreamAuth;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link ProviderClient}'s cache of a provider's filled-in headers (a secret read is a database read and a decryption). */
class ProviderClientTest {
  private static final ProviderDefinition PROVIDER =
      new ProviderDefinition("p", null, ProviderDefinition.OPENAI, "http://127.0.0.1:9/v1", null, null, Map.of());

  /** Counts the credential reads; the first waits until released, so concurrent callers meet it. */
  private static final class CountingCredentials extends UpstreamCredentials {
    final AtomicInteger reads = new AtomicInteger();
    final CountDownLatch reading = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    CountingCredentials() {
      super(null, Clock.systemUTC());
    }

    @Override
    public Resolved resolve(String owner, String tenantId, Map<String, String> headers, UpstreamAuth auth, boolean egressGuarded) {
      reads.incrementAndGet();
      reading.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return super.resolve(owner, tenantId, headers, auth, egressGuarded);
    }
  }

  private static ProviderClient client(UpstreamCredentials credentials) {
    return new ProviderClient(new BlockingHttp(Duration.ofSeconds(1)), credentials, new ObjectMapper(), 1 << 20, Duration.ofMinutes(1));
  }

  /**
   * When a provider's headers are missing (or expired), the calls that meet that together wait
   * for one read: under load every call to the provider used to read its secrets at each expiry.
   */
  @Test
  void callsThatFindAProvidersHeadersMissingTogetherWaitForOneRead() throws Exception {
    CountingCredentials credentials = new CountingCredentials();
    ProviderClient client = client(credentials);
    List<AtomicReference<ProviderClient.Prepared>> got = new ArrayList<>();
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      AtomicReference<ProviderClient.Prepared> answer = new AtomicReference<>();
      got.add(answer);
      callers.add(
          new Thread(
              () -> {
                try {
                  answer.set(client.prepare(PROVIDER, ModelCall.Kind.CHAT));
                } catch (ProviderFailure e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    callers.forEach(Thread::start);
    assertThat(credentials.reading.await(10, TimeUnit.SECONDS)).isTrue();
    // Every caller is parked: one in the read, the others waiting for it (or, were there no
    // single read, each in a read of its own, counted below).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (callers.stream().anyMatch(t -> t.getState() == Thread.State.RUNNABLE || t.getState() == Thread.State.NEW)
        && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    credentials.release.countDown();
    for (Thread t : callers) {
      t.join(10_000);
    }
    assertThat(credentials.reads.get()).isEqualTo(1);
    assertThat(got).allSatisfy(a -> assertThat(a.get()).isNotNull().isSameAs(got.get(0).get()));

    client.forget(PROVIDER);
    assertThat(client.prepare(PROVIDER, ModelCall.Kind.CHAT)).isNotSameAs(got.get(0).get());
    assertThat(credentials.reads.get()).as("read again after forget").isEqualTo(2);
  }

  /**
   * The betas a call asks for go after those an operator put in the provider's own headers (in
   * whatever case it wrote the name), each once, in one {@code anthropic-beta} header; the
   * prepared request itself, shared by every call to the provider, is not changed.
   */
  @Test
  void aCallsBetasJoinTheProvidersOwnInOneHeader() throws Exception {
    ProviderDefinition anthropic =
        new ProviderDefinition("a", null, ProviderDefinition.ANTHROPIC, "http://127.0.0.1:9", null, null, Map.of("Anthropic-Beta", "b1, b2"));
    ProviderClient client = client(new UpstreamCredentials(null, Clock.systemUTC()));
    ProviderClient.Prepared shared = client.prepare(anthropic, ModelCall.Kind.CHAT);

    ProviderClient.Prepared asked = shared.withBetas(List.of("b2", "b3"));
    assertThat(asked.headers()).containsEntry("anthropic-beta", "b1,b2,b3").doesNotContainKey("Anthropic-Beta");
    assertThat(asked.headers()).containsEntry("anthropic-version", ProviderClient.ANTHROPIC_VERSION);
    assertThat(shared.headers()).containsEntry("Anthropic-Beta", "b1, b2").doesNotContainKey("anthropic-beta");
    assertThat(shared.withBetas(List.of())).isSameAs(shared);

    ProviderDefinition plain = new ProviderDefinition("b", null, ProviderDefinition.ANTHROPIC, "http://127.0.0.1:9", null, null, Map.of());
    assertThat(client.prepare(plain, ModelCall.Kind.CHAT).withBetas(List.of("b3")).headers()).containsEntry("anthropic-beta", "b3");
  }

  /** A provider whose secret cannot be read fails as the provider's failure, and nothing is kept. */
  @Test
  void aSecretThatCannotBeReadIsAProviderFailureAndIsNotKept() {
    ProviderDefinition keyed =
        new ProviderDefinition("keyed", null, ProviderDefinition.OPENAI, "http://127.0.0.1:9/v1", "{{secret:missing}}", null, Map.of());
    ProviderClient client = client(new UpstreamCredentials(null, Clock.systemUTC()));
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> client.prepare(keyed, ModelCall.Kind.CHAT))
          .isInstanceOfSatisfying(ProviderFailure.class, e -> assertThat(e.kind()).isEqualTo(ProviderFailure.Kind.CREDENTIALS))
          .hasMessageContaining("needs secret 'missing'");
    }
  }

  /**
   * A provider whose stored base URL cannot be called (a port out of range: an older row, written
   * before that was checked) is that provider's failure, as an unreachable one is, not an
   * IllegalArgumentException out of the call (a 500 with a stack trace).
   */
  @Test
  void aBaseUrlThatCannotBeCalledIsAProviderFailure() throws Exception {
    ProviderClient client = client(new UpstreamCredentials(null, Clock.systemUTC()));
    com.fasterxml.jackson.databind.node.ObjectNode body =
        (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree("{\"model\":\"m\",\"messages\":[]}");
    for (String url : List.of("http://127.0.0.1:99999/v1", "http://127.0.0.1:65536/v1", "http://[::1/v1")) {
      ProviderDefinition bad = new ProviderDefinition("bad-port", null, ProviderDefinition.OPENAI, url, null, Duration.ofSeconds(1), Map.of());
      for (boolean stream : new boolean[] {false, true}) {
        assertThatThrownBy(
                () -> {
                  ProviderClient.Prepared p = client.prepare(bad, ModelCall.Kind.CHAT);
                  if (stream) {
                    client.open(p, body).close();
                  } else {
                    client.send(p, body);
                  }
                })
            .as(url + (stream ? " streamed" : ""))
            .isInstanceOfSatisfying(ProviderFailure.class, e -> assertThat(e.kind()).isEqualTo(ProviderFailure.Kind.CONNECTION))
            .hasMessageContaining("provider bad-port has a base URL that cannot be called")
            .hasMessageNotContaining("Exception");
      }
    }
  }

  /**
   * A provider's answer of more JSON tokens than Gatehouse reads of one message (within the size
   * cap: 16 MiB of nested empty arrays had taken seconds of CPU and most of a gigabyte) is a bad
   * answer that says which limit, not a network failure nor "not a JSON object".
   */
  @Test
  void anAnswerOfMoreJsonTokensThanGatehouseReadsIsABadAnswer() throws Exception {
    byte[] wide = ("{\"choices\":[" + "[],".repeat(500_000) + "[]]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/v1/chat/completions",
        ex -> {
          ex.getRequestBody().readAllBytes();
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(200, wide.length);
          try (var out = ex.getResponseBody()) {
            out.write(wide);
          }
        });
    server.start();
    try {
      // 1.5 MB, within the cap (the default is 8 MiB)
      ProviderClient client =
          new ProviderClient(new BlockingHttp(Duration.ofSeconds(10)), new UpstreamCredentials(null, Clock.systemUTC()), new ObjectMapper(), 4 << 20, Duration.ofMinutes(1));
      ProviderDefinition wideOne =
          new ProviderDefinition("wide", null, ProviderDefinition.OPENAI, "http://127.0.0.1:" + server.getAddress().getPort() + "/v1", null, Duration.ofSeconds(10), Map.of());
      com.fasterxml.jackson.databind.node.ObjectNode body =
          (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree("{\"model\":\"m\",\"messages\":[]}");
      ProviderClient.Prepared p = client.prepare(wideOne, ModelCall.Kind.CHAT);
      assertThatThrownBy(() -> client.send(p, body))
          .isInstanceOfSatisfying(ProviderFailure.class, e -> assertThat(e.kind()).isEqualTo(ProviderFailure.Kind.BAD_ANSWER))
          .hasMessage("provider wide answered with JSON past what Gatehouse reads (nesting depth, the length of a number or string, or 1,000,000 JSON tokens)");
    } finally {
      server.stop(0);
    }
  }
}
