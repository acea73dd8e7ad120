package dev.gatehouse.frontend.mcp;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A pass-through HTTP proxy on 127.0.0.1 that adds {@code Authorization: Bearer <key>} to every
 * request, for MCP clients that cannot send headers (the conformance CLI).
 *
 * <p>Everything else goes through unchanged: the method, path and query, the request body, every
 * end-to-end header (hop-by-hop ones are dropped as a proxy must), the status code, the response
 * headers (Mcp-Session-Id, Content-Type, WWW-Authenticate...) and the response body, which is
 * streamed: each chunk the target sends is written and flushed at once, so SSE events arrive as
 * they are produced.
 *
 * <p>The Host header: when the client addressed the proxy itself (its Host is the proxy's own
 * {@code 127.0.0.1:port} or {@code localhost:port}), the target gets the target's own host and
 * port, as if the client had called it directly. Any other Host is forwarded untouched. That is
 * what makes the conformance suite's {@code dns-rebinding-protection} scenario meaningful through
 * the proxy: it sends {@code Host: evil.example.com}, and the gateway, not the proxy, must reject
 * it. The Origin header is always forwarded as the client sent it.
 *
 * <p>The upstream leg is written by hand over a socket (HTTP/1.1, one connection per request,
 * chunked bodies decoded) because {@code java.net.http.HttpClient} refuses to set a Host header
 * unless {@code jdk.httpclient.allowRestrictedHeaders} is set before its first use in the JVM.
 */
public final class BearerProxy implements AutoCloseable {

  /** Hop-by-hop headers (RFC 9110 7.6.1) and the ones this proxy frames or sets itself. */
  private static final Set<String> NOT_FORWARDED =
      Set.of(
          "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
          "transfer-encoding", "upgrade", "content-length", "host", "authorization", "expect");

  private final HttpServer server;
  private final ExecutorService executor;
  private final String targetHost;
  private final int targetPort;
  private final String targetAuthority;
  private final String basePath;
  private final String key;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();

  private BearerProxy(URI target, String key) throws IOException {
    if (!"http".equals(target.getScheme())) {
      throw new IllegalArgumentException("only http targets: " + target);
    }
    this.targetHost = target.getHost();
    this.targetPort = target.getPort() < 0 ? 80 : target.getPort();
    this.targetAuthority = target.getRawAuthority();
    String path = target.getRawPath() == null ? "" : target.getRawPath();
    this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    this.key = key;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "bearer-proxy");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /**
   * Starts a proxy in front of {@code targetBase} (e.g. {@code http://127.0.0.1:8080}); a request
   * for {@code /mcp?x} on the proxy goes to {@code targetBase + "/mcp?x"}.
   */
  public static BearerProxy start(String targetBase, String key) {
    try {
      return new BearerProxy(URI.create(targetBase), key);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The proxy's base URL, {@code http://127.0.0.1:<port>}. */
  public String url() {
    return "http://127.0.0.1:" + port();
  }

  private boolean addressesProxy(String host) {
    if (host == null) {
      return true;
    }
    String h = host.trim().toLowerCase(Locale.ROOT);
    int port = port();
    return h.equals("127.0.0.1:" + port) || h.equals("localhost:" + port) || h.equals("[::1]:" + port);
  }

  private void handle(HttpExchange exchange) throws IOException {
    Socket socket = null;
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String method = exchange.getRequestMethod();
      String rawQuery = exchange.getRequestURI().getRawQuery();
      String target = basePath + exchange.getRequestURI().getRawPath() + (rawQuery == null ? "" : "?" + rawQuery);
      Headers in = exchange.getRequestHeaders();
      String host = in.getFirst("Host");

      StringBuilder head = new StringBuilder();
      head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
      head.append("Host: ").append(addressesProxy(host) ? targetAuthority : host).append("\r\n");
      for (Map.Entry<String, List<String>> h : in.entrySet()) {
        if (NOT_FORWARDED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
          continue;
        }
        for (String v : h.getValue()) {
          head.append(h.getKey()).append(": ").append(v).append("\r\n");
        }
      }
      head.append("Authorization: Bearer ").append(key).append("\r\n");
      if (body.length > 0 || !(method.equals("GET") || method.equals("HEAD") || method.equals("DELETE"))) {
        head.append("Content-Length: ").append(body.length).append("\r\n");
      }
      head.append("Connection: close\r\n\r\n");

      socket = new Socket(targetHost, targetPort);
      socket.setTcpNoDelay(true);
      open.add(socket);
      OutputStream up = socket.getOutputStream();
      up.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      up.write(body);
      up.flush();

      InputStream down = new BufferedInputStream(socket.getInputStream());
      int status;
      List<String[]> headers;
      // Skip interim 1xx answers.
      do {
        String statusLine = line(down);
        if (statusLine == null) {
          throw new IOException("the target closed the connection without an answer");
        }
        String[] parts = statusLine.split(" ", 3);
        status = Integer.parseInt(parts[1]);
        headers = headers(down);
      } while (status >= 100 && status < 200);

      long contentLength = -1;
      boolean chunked = false;
      Headers out = exchange.getResponseHeaders();
      for (String[] h : headers) {
        String name = h[0].toLowerCase(Locale.ROOT);
        if (name.equals("content-length")) {
          contentLength = Long.parseLong(h[1].trim());
        } else if (name.equals("transfer-encoding")) {
          chunked = h[1].toLowerCase(Locale.ROOT).contains("chunked");
        }
        if (!NOT_FORWARDED.contains(name) && !name.equals("date")) {
          out.add(h[0], h[1]);
        }
      }
      boolean noBody = method.equals("HEAD") || status == 204 || status == 304;
      OutputStream client;
      if (noBody) {
        exchange.sendResponseHeaders(status, -1);
        return;
      } else if (!chunked && contentLength >= 0) {
        exchange.sendResponseHeaders(status, contentLength == 0 ? -1 : contentLength);
        client = exchange.getResponseBody();
        copyExactly(down, client, contentLength);
      } else {
        exchange.sendResponseHeaders(status, 0); // chunked towards the client
        client = exchange.getResponseBody();
        if (chunked) {
          copyChunked(down, client);
        } else {
          copyUntilClose(down, client);
        }
      }
      client.flush();
    } catch (IOException | RuntimeException e) {
      // The client or the target went away mid-stream; both sides are closed below.
    } finally {
      if (socket != null) {
        open.remove(socket);
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing
        }
      }
    }
  }

  private static void copyExactly(InputStream in, OutputStream out, long length) throws IOException {
    byte[] buffer = new byte[8192];
    long left = length;
    while (left > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new IOException("the target's body ended early");
      }
      out.write(buffer, 0, n);
      out.flush();
      left -= n;
    }
  }

  private static void copyChunked(InputStream in, OutputStream out) throws IOException {
    while (true) {
      String sizeLine = line(in);
      if (sizeLine == null) {
        throw new IOException("the target's chunked body ended early");
      }
      int semi = sizeLine.indexOf(';');
      long size = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
      if (size == 0) {
        headers(in); // trailers, dropped
        return;
      }
      copyExactly(in, out, size);
      line(in); // the CRLF after the chunk
    }
  }

  private static void copyUntilClose(InputStream in, OutputStream out) throws IOException {
    byte[] buffer = new byte[8192];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      out.write(buffer, 0, n);
      out.flush();
    }
  }

  private static List<String[]> headers(InputStream in) throws IOException {
    List<String[]> headers = new ArrayList<>();
    String line;
    while ((line = line(in)) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
      }
    }
    return headers;
  }

  /** One CRLF- (or LF-) terminated line in ISO-8859-1, null at end of stream. */
  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        byte[] bytes = b.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    server.stop(0);
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    executor.shutdownNow();
  }
}
