package dev.gatehouse.frontend.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP tool upstream on loopback that misbehaves on purpose, written on raw sockets because the
 * faults it plays (a reset connection, headers or a body trickled byte by byte, an answer that
 * never comes) are ones an HTTP server library will not produce.
 *
 * <p>{@code GET /{fault}/{times}/{name}}: the first {@code times} requests for {@code name} get the
 * fault ({@code times} 0 means every request), later ones a plain {@code 200 {"ok":true}}. Every
 * response closes the connection. Per name it records the Idempotency-Key and arrival time of each
 * request, the side effects it did (one per 2xx answer it gave, even one the client refused to
 * read to its end), and the connections the client gave up on while the upstream was still
 * trickling.
 */
public final class FaultyUpstream implements AutoCloseable {
  /** What a faulty answer is. */
  public enum Fault {
    STATUS_500,
    STATUS_429_RETRY_AFTER_2S,
    STATUS_400,
    NO_ANSWER,
    RESET,
    SLOW_HEADERS,
    SLOW_BODY,
    MALFORMED_JSON,
    OVERSIZED,
    OVERSIZED_CHUNKED
  }

  /** What one name saw. */
  public static final class Record {
    public final List<String> keys = new CopyOnWriteArrayList<>();
    public final List<Long> arrivals = new CopyOnWriteArrayList<>();
    public final AtomicInteger applied = new AtomicInteger();
    public final AtomicInteger abandoned = new AtomicInteger();
  }

  /** How long a silence lasts at most: far longer than any tool timeout here. */
  private static final long STALL_MILLIS = 30_000;

  private final ServerSocket server;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final Map<String, Record> records = new ConcurrentHashMap<>();
  private final int oversize;
  private volatile boolean closed;

  /** {@code oversize}: the body length of the oversized answers (more than the gateway's cap). */
  public FaultyUpstream(int oversize) throws IOException {
    this.oversize = oversize;
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    pool.execute(this::acceptLoop);
  }

  public String base() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  public Record record(String name) {
    return records.computeIfAbsent(name, k -> new Record());
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket socket = server.accept();
        pool.execute(() -> serve(socket));
      } catch (IOException e) {
        if (!closed) {
          throw new IllegalStateException(e);
        }
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      socket.setSoTimeout((int) STALL_MILLIS);
      Map<String, String> request = readRequest(socket.getInputStream());
      String[] path = request.getOrDefault(":path", "/").split("/");
      if (path.length != 4) {
        write(socket, "404 Not Found", "{}");
        return;
      }
      Fault fault = Fault.valueOf(path[1]);
      int times = Integer.parseInt(path[2]);
      Record record = record(path[3]);
      record.keys.add(String.valueOf(request.get("idempotency-key")));
      record.arrivals.add(System.nanoTime());
      int attempt = record.keys.size();
      if (times == 0 || attempt <= times) {
        misbehave(socket, fault, record);
      } else {
        write(socket, "200 OK", "{\"ok\":true,\"attempt\":" + attempt + "}");
        record.applied.incrementAndGet();
      }
    } catch (IOException | InterruptedException e) {
      // the client went away; counted where it matters
    }
  }

  private void misbehave(Socket socket, Fault fault, Record record) throws IOException, InterruptedException {
    switch (fault) {
      case STATUS_500 -> write(socket, "500 Internal Server Error", "{\"error\":\"boom\"}");
      case STATUS_429_RETRY_AFTER_2S -> write(socket, "429 Too Many Requests", "Retry-After: 2\r\n", "{\"error\":\"slow down\"}");
      case STATUS_400 -> write(socket, "400 Bad Request", "{\"error\":\"no\"}");
      case NO_ANSWER -> {
        // Reads nothing more and writes nothing until the client hangs up (read returns -1).
        socket.getInputStream().read();
      }
      case RESET -> {
        socket.setSoLinger(true, 0); // close() now sends RST instead of FIN
      }
      case SLOW_HEADERS -> trickle(socket, "HTTP/1.1 200 OK\r\nX-Slow: " + "x".repeat(1000), record);
      case SLOW_BODY -> {
        OutputStream out = socket.getOutputStream();
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        trickle(socket, "\"" + "x".repeat(998) + "\"", record);
      }
      case MALFORMED_JSON -> {
        write(socket, "200 OK", "{\"ok\": tru");
        record.applied.incrementAndGet();
      }
      case OVERSIZED -> {
        // The work is done before the answer; a client that stops reading at its cap (here it may
        // close as soon as it sees Content-Length) does not undo it.
        record.applied.incrementAndGet();
        try {
          write(socket, "200 OK", "\"" + "x".repeat(oversize - 2) + "\"");
        } catch (IOException gaveUp) {
          // expected: the client refused the answer
        }
      }
      case OVERSIZED_CHUNKED -> {
        OutputStream out = socket.getOutputStream();
        out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII));
        byte[] chunk = "x".repeat(8192).getBytes(StandardCharsets.US_ASCII);
        record.applied.incrementAndGet(); // as for OVERSIZED: done before the answer
        try {
          for (int sent = 0; sent < oversize; sent += chunk.length) {
            out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(chunk);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
          }
          out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
        } catch (IOException gaveUp) {
          // expected: the client stopped reading at its cap
        }
      }
    }
  }

  /** Writes {@code text} one byte every 100 ms; a client that gives up is counted. */
  private static void trickle(Socket socket, String text, Record record) throws InterruptedException {
    try {
      OutputStream out = socket.getOutputStream();
      for (byte b : text.getBytes(StandardCharsets.US_ASCII)) {
        out.write(b);
        out.flush();
        Thread.sleep(100);
      }
    } catch (IOException clientGaveUp) {
      record.abandoned.incrementAndGet();
    }
  }

  private static void write(Socket socket, String status, String body) throws IOException {
    write(socket, status, "", body);
  }

  private static void write(Socket socket, String status, String extraHeaders, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    OutputStream out = socket.getOutputStream();
    out.write(("HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
            + "\r\n" + extraHeaders + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(bytes);
    out.flush();
  }

  /** The request line's path (as {@code :path}) and the headers, lower-cased names; the body is skipped. */
  private static Map<String, String> readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("request ended early");
      }
      head.write(b);
      state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
      if (head.size() > 64 * 1024) {
        throw new IOException("request head too large");
      }
    }
    String[] lines = head.toString(StandardCharsets.US_ASCII).split("\r\n");
    Map<String, String> out = new ConcurrentHashMap<>();
    out.put(":path", lines[0].split(" ")[1].split("\\?")[0]);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        out.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    long length = Long.parseLong(out.getOrDefault("content-length", "0"));
    in.skipNBytes(length);
    return out;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    pool.shutdownNow();
  }
}
