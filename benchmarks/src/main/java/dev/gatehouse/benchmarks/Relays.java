package dev.gatehouse.benchmarks;

import dev.gatehouse.activities.http.BlockingHttp;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.Message;
import org.apache.hc.core5.http.impl.bootstrap.AsyncRequesterBootstrap;
import org.apache.hc.core5.http.impl.bootstrap.HttpAsyncRequester;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.nio.entity.AsyncEntityProducers;
import org.apache.hc.core5.http.nio.entity.BasicAsyncEntityConsumer;
import org.apache.hc.core5.http.nio.support.AsyncRequestBuilder;
import org.apache.hc.core5.http.nio.support.BasicResponseConsumer;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.Timeout;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * Bare MCP relays on 127.0.0.1:PORT/mcp: each passes a request's method, MCP headers and body to
 * the upstream and its answer back, and checks and records nothing. They are the reference rows of
 * {@code bench/mcp-bench} ({@code servlet}) and {@code bench/relay-bench} (all four): what a process
 * in the middle costs on this machine when it is built one way or another, against which
 * Gatehouse's own work can be read.
 *
 * <ul>
 *   <li>{@code servlet}: Gatehouse's design. A Jetty 12 servlet on Jetty's default thread pool (a
 *       thread per request, as Dropwizard runs Gatehouse) and Gatehouse's upstream client ({@link
 *       BlockingHttp}: httpcore5's request executor on pooled keep-alive connections); the thread
 *       blocks on the upstream's answer and reads it whole.
 *   <li>{@code handler}: the same without the servlet layer: a Jetty core {@link Handler}, still a
 *       thread per request and {@link BlockingHttp}.
 *   <li>{@code servlet-async}: no thread waits on the upstream: the servlet starts async, the
 *       request goes out on httpcore5's non-blocking requester (one I/O reactor thread), and the
 *       reactor thread writes the answer and completes the exchange.
 *   <li>{@code jetty-client}: Jetty's own non-blocking reverse proxy ({@link ProxyHandler.Reverse}
 *       on Jetty's {@code HttpClient}), which streams the answer through as it comes.
 * </ul>
 */
final class Relays {
  /** The request headers a relay passes upstream, and those of the answer it passes back. */
  static final List<String> REQUEST_HEADERS =
      List.of("Accept", "Content-Type", "Mcp-Session-Id", "MCP-Protocol-Version", "Last-Event-ID");

  static final List<String> RESPONSE_HEADERS = List.of("Content-Type", "Mcp-Session-Id");

  static final List<String> KINDS = List.of("servlet", "handler", "servlet-async", "jetty-client");

  private Relays() {}

  /** Starts the relay of that kind and blocks until the process ends. */
  static void run(String kind, int port, String upstreamUrl) throws Exception {
    URI upstream = URI.create(upstreamUrl);
    Server jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    jetty.addConnector(connector);
    switch (kind.toLowerCase(Locale.ROOT)) {
      case "servlet" -> jetty.setHandler(servletContext(new ServletHolder("relay", blockingServlet(upstream))));
      case "handler" -> jetty.setHandler(blockingHandler(upstream));
      case "servlet-async" -> {
        ServletHolder holder = new ServletHolder("relay", asyncServlet(upstream));
        holder.setAsyncSupported(true);
        jetty.setHandler(servletContext(holder));
      }
      case "jetty-client" -> jetty.setHandler(new ProxyHandler.Reverse(request -> HttpURI.from(upstreamUrl)));
      default -> throw new IllegalArgumentException("unknown relay '" + kind + "' (one of " + KINDS + ")");
    }
    jetty.start();
    System.out.println("mcp-bench relay (" + kind + ") on http://127.0.0.1:" + connector.getLocalPort() + "/mcp -> " + upstream);
    jetty.join();
  }

  /** A context with {@code servlet} at {@code /mcp}. */
  static ServletContextHandler servletContext(ServletHolder servlet) {
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(servlet, "/mcp");
    return context;
  }

  /** The upstream's answer, read whole: its status, the {@link #RESPONSE_HEADERS} it sent, its body. */
  private record Answer(int status, Map<String, String> headers, byte[] content) {}

  /** One exchange on the calling thread: the method, the {@link #REQUEST_HEADERS} and the body out, the whole answer back. */
  private static Answer exchange(BlockingHttp http, URI upstream, String method, UnaryOperator<String> header, byte[] body)
      throws IOException {
    HttpUriRequestBase out = new HttpUriRequestBase(method, upstream);
    for (String name : REQUEST_HEADERS) {
      String value = header.apply(name);
      if (value != null) {
        out.setHeader(name, value);
      }
    }
    if (body.length > 0) {
      out.setEntity(new ByteArrayEntity(body, null));
    }
    try (BlockingHttp.Exchange exchange = http.exchange(out, Duration.ofSeconds(30))) {
      ClassicHttpResponse answer = exchange.send();
      byte[] content;
      try (BlockingHttp.Body in = exchange.body()) {
        content = in.readAllBytes();
      }
      Map<String, String> headers = new LinkedHashMap<>();
      for (String name : RESPONSE_HEADERS) {
        String value = BlockingHttp.header(answer, name);
        if (value != null) {
          headers.put(name, value);
        }
      }
      return new Answer(answer.getCode(), headers, content);
    }
  }

  private static HttpServlet blockingServlet(URI upstream) {
    BlockingHttp http = new BlockingHttp(Duration.ofSeconds(5));
    return new HttpServlet() {
      @Override
      protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
        Answer answer = exchange(http, upstream, req.getMethod(), req::getHeader, req.getInputStream().readAllBytes());
        res.setStatus(answer.status());
        answer.headers().forEach(res::setHeader);
        res.setContentLength(answer.content().length);
        res.getOutputStream().write(answer.content());
      }
    };
  }

  private static Handler blockingHandler(URI upstream) {
    BlockingHttp http = new BlockingHttp(Duration.ofSeconds(5));
    return new Handler.Abstract() {
      @Override
      public boolean handle(Request req, Response res, Callback callback) throws Exception {
        Answer answer =
            exchange(http, upstream, req.getMethod(), name -> req.getHeaders().get(name), Request.asInputStream(req).readAllBytes());
        res.setStatus(answer.status());
        answer.headers().forEach((name, value) -> res.getHeaders().put(name, value));
        res.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.content().length);
        res.write(true, ByteBuffer.wrap(answer.content()), callback);
        return true;
      }
    };
  }

  private static HttpServlet asyncServlet(URI upstream) {
    HttpAsyncRequester requester =
        AsyncRequesterBootstrap.bootstrap()
            .setIOReactorConfig(IOReactorConfig.custom().setIoThreadCount(1).setTcpNoDelay(true).build())
            .setMaxTotal(256)
            .setDefaultMaxPerRoute(256)
            .create();
    requester.start();
    HttpHost target = new HttpHost("http", upstream.getHost(), upstream.getPort());
    return new HttpServlet() {
      @Override
      protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
        byte[] body = req.getInputStream().readAllBytes();
        AsyncRequestBuilder out = AsyncRequestBuilder.create(req.getMethod()).setHttpHost(target).setPath(upstream.getPath());
        for (String name : REQUEST_HEADERS) {
          String value = req.getHeader(name);
          if (value != null) {
            out.addHeader(name, value);
          }
        }
        if (body.length > 0) {
          out.setEntity(AsyncEntityProducers.create(body, null));
        }
        AsyncContext async = req.startAsync();
        async.setTimeout(0);
        requester.execute(
            out.build(),
            new BasicResponseConsumer<>(new BasicAsyncEntityConsumer()),
            Timeout.ofSeconds(30),
            new FutureCallback<Message<HttpResponse, byte[]>>() {
              @Override
              public void completed(Message<HttpResponse, byte[]> answer) {
                try {
                  res.setStatus(answer.getHead().getCode());
                  for (String name : RESPONSE_HEADERS) {
                    Header h = answer.getHead().getFirstHeader(name);
                    if (h != null) {
                      res.setHeader(name, h.getValue());
                    }
                  }
                  byte[] content = answer.getBody() == null ? new byte[0] : answer.getBody();
                  res.setContentLength(content.length);
                  res.getOutputStream().write(content);
                } catch (IOException e) {
                  // the client went away: nothing to answer
                } finally {
                  async.complete();
                }
              }

              @Override
              public void failed(Exception e) {
                res.setStatus(502);
                async.complete();
              }

              @Override
              public void cancelled() {
                failed(null);
              }
            });
      }
    };
  }
}
