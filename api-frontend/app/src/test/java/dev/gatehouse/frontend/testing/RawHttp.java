package dev.gatehouse.frontend.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests an HTTP client would refuse to send or would repair:
 * bad request lines and versions, bad chunk sizes, mismatched or duplicated Content-Length,
 * invalid bytes in a path. The request goes out exactly as given; after it the client half-closes
 * its side (a request that promised more body than it sent then ends, as a client that gave up
 * would), and reads one answer (a 1xx is skipped) or the lack of one.
 */
public final class RawHttp {
  private static final int MAX_ANSWER = 4 * 1024 * 1024;

  private RawHttp() {}

  /** What came back: an answer, or how the connection failed to give one. */
  public record Answer(int status, String statusLine, Map<String, List<String>> headers, byte[] body, String failure) {
    public boolean answered() {
      return failure == null;
    }

    public String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null || v.isEmpty() ? null : v.get(0);
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    static Answer failed(String failure) {
      return new Answer(0, "", Map.of(), new byte[0], failure);
    }
  }

  /** Sends {@code request} to 127.0.0.1:{@code port} and reads the answer, waiting at most {@code timeoutMillis} per read. */
  public static Answer exchange(int port, byte[] request, int timeoutMillis) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
      socket.setSoTimeout(timeoutMillis);
      socket.setTcpNoDelay(true);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request);
        out.flush();
        socket.shutdownOutput();
      } catch (SocketException e) {
        // The server may answer (and close) before it read everything; the answer is still readable.
      }
      return nextAnswer(new java.io.BufferedInputStream(socket.getInputStream()));
    } catch (SocketTimeoutException e) {
      return Answer.failed("no answer within " + timeoutMillis + " ms");
    } catch (IOException e) {
      return Answer.failed("connection failed: " + e.getMessage());
    }
  }

  /**
   * A keep-alive connection to 127.0.0.1:{@code port}, for what happens between requests: bytes
   * are sent as given, in as many writes as the test makes, and answers are read one at a time.
   */
  public static final class Connection implements AutoCloseable {
    private final Socket socket = new Socket();
    private final InputStream in;

    public Connection(int port, int timeoutMillis) throws IOException {
      socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
      socket.setSoTimeout(timeoutMillis);
      socket.setTcpNoDelay(true);
      in = new java.io.BufferedInputStream(socket.getInputStream());
    }

    /** Writes {@code bytes}; false when the server has closed the connection. */
    public boolean send(byte[] bytes) {
      try {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        return true;
      } catch (IOException e) {
        return false;
      }
    }

    /** Whether bytes of an answer have arrived and wait to be read. */
    public boolean answering() throws IOException {
      return in.available() > 0;
    }

    /** The next answer (a 1xx skipped), or how the connection failed to give one. */
    public Answer read() {
      try {
        return nextAnswer(in);
      } catch (SocketTimeoutException e) {
        return Answer.failed("no answer in time");
      } catch (IOException e) {
        return Answer.failed("connection failed: " + e.getMessage());
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** A request from its parts: the request line, headers (name, value, ...), and body bytes. */
  public static byte[] request(String requestLine, byte[] body, String... headers) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes((requestLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    for (int i = 0; i < headers.length; i += 2) {
      b.writeBytes((headers[i] + ": " + headers[i + 1] + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }
    b.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    if (body != null) {
      b.writeBytes(body);
    }
    return b.toByteArray();
  }

  /** The next answer on {@code in}, a 1xx skipped. */
  private static Answer nextAnswer(InputStream in) throws IOException {
    while (true) {
      Answer a = readAnswer(in);
      if (!a.answered() || a.status() >= 200 || a.status() == 101) {
        return a;
      }
    }
  }

  private static Answer readAnswer(InputStream in) throws IOException {
    String statusLine = line(in);
    if (statusLine == null) {
      return Answer.failed("the connection closed without an answer");
    }
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
      return Answer.failed("not an HTTP status line: " + statusLine);
    }
    int status;
    try {
      status = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      return Answer.failed("not an HTTP status line: " + statusLine);
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    String h;
    while ((h = line(in)) != null && !h.isEmpty()) {
      int colon = h.indexOf(':');
      if (colon > 0) {
        headers.computeIfAbsent(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(h.substring(colon + 1).trim());
      }
    }
    if (h == null) {
      return Answer.failed("the connection closed inside the answer's headers");
    }
    byte[] body;
    List<String> te = headers.get("transfer-encoding");
    List<String> cl = headers.get("content-length");
    if (status < 200 || status == 204 || status == 304) {
      body = new byte[0];
    } else if (te != null && te.get(0).toLowerCase(Locale.ROOT).contains("chunked")) {
      body = chunked(in);
    } else if (cl != null) {
      body = in.readNBytes(Integer.parseInt(cl.get(0)));
    } else {
      body = in.readNBytes(MAX_ANSWER);
    }
    return new Answer(status, statusLine, headers, body, null);
  }

  private static byte[] chunked(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String size = line(in);
      if (size == null) {
        throw new IOException("the connection closed inside a chunked answer");
      }
      int semi = size.indexOf(';');
      int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
      if (n == 0) {
        String trailer;
        while ((trailer = line(in)) != null && !trailer.isEmpty()) {
          // trailers are not needed
        }
        return body.toByteArray();
      }
      body.writeBytes(in.readNBytes(n));
      line(in);
      if (body.size() > MAX_ANSWER) {
        throw new IOException("answer larger than " + MAX_ANSWER + " bytes");
      }
    }
  }

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
      if (b.size() > 64 * 1024) {
        throw new IOException("header line longer than 64 KiB");
      }
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }
}
