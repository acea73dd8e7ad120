package dev.gatehouse.frontend.core.errors;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/** Jetty's own error answers, through a real Jetty on loopback whose handler fails as Jetty's reads do. */
class JsonErrorHandlerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static HttpResponse<String> failWith(Supplier<RuntimeException> failure) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            throw failure.get();
          }
        });
    server.setErrorHandler(new JsonErrorHandler());
    server.start();
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/x"))
                  .POST(HttpRequest.BodyPublishers.ofString("{}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
    } finally {
      server.stop();
    }
  }

  @Test
  void aBodyThatStoppedComingIs408WhateverStatusItWasReportedWith() throws Exception {
    HttpResponse<String> r =
        failWith(() -> new BadMessageException(400, "read failed", new IOException(new TimeoutException("Idle timeout expired"))));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(408);
    JsonNode error = JSON.readTree(r.body()).path("error");
    assertThat(error.path("code").asText()).isEqualTo("request_timeout");
  }

  @Test
  void aBrokenChunkStays400MalformedBody() throws Exception {
    HttpResponse<String> r = failWith(() -> new BadMessageException(400, "bad chunk", new org.eclipse.jetty.io.EofException("early EOF")));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(JSON.readTree(r.body()).path("error").path("code").asText()).isEqualTo("malformed_body");
  }
}
