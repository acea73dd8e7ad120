package dev.gatehouse.activities.http;

import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A JDK {@link HttpClient} for egress-guarded records (MCP servers a tenant admin wrote): every
 * request is checked with {@link Egress#check} just before it is handed to the client it wraps,
 * and one whose host resolves to an internal address fails with an {@link EgressRefusedException}
 * (nothing is sent). The JDK client resolves the name itself, right after, from the JVM's DNS
 * cache ({@code networkaddress.cache.ttl}, 30 s by default), which is what makes both see the same
 * addresses. It must follow no redirects (the clients Gatehouse builds do not), and it should not
 * be shared with unguarded records, whose connections it would otherwise reuse.
 */
public final class GuardedHttpClient extends HttpClient {
  private final HttpClient client;

  public GuardedHttpClient(HttpClient client) {
    if (client.followRedirects() != Redirect.NEVER) {
      throw new IllegalArgumentException("a guarded client must not follow redirects");
    }
    this.client = client;
  }

  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    Egress.check(request.uri());
    return client.send(request, handler);
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    try {
      Egress.check(request.uri());
    } catch (EgressRefusedException e) {
      return CompletableFuture.failedFuture(e);
    }
    return client.sendAsync(request, handler);
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> handler, HttpResponse.PushPromiseHandler<T> push) {
    try {
      Egress.check(request.uri());
    } catch (EgressRefusedException e) {
      return CompletableFuture.failedFuture(e);
    }
    return client.sendAsync(request, handler, push);
  }

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return client.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return client.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return client.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return client.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return client.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return client.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return client.authenticator();
  }

  @Override
  public Version version() {
    return client.version();
  }

  @Override
  public Optional<Executor> executor() {
    return client.executor();
  }
}
