package dev.gatehouse.frontend.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One hostile request: the face it aims at, the bytes that go on the wire, and a short description
 * for a failure report (the bytes themselves can be megabytes of odd text).
 */
record Probe(String face, String what, boolean opsPort, byte[] bytes) {
  private static final int SHOWN = 300;

  @Override
  public String toString() {
    String text = new String(bytes, 0, Math.min(bytes.length, SHOWN), StandardCharsets.ISO_8859_1);
    StringBuilder b = new StringBuilder();
    for (char c : text.toCharArray()) {
      b.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : c == '\r' ? "\\r" : c == '\n' ? "\\n\n" : String.format("\\x%02x", (int) c));
    }
    return face + " / " + what + " (" + bytes.length + " bytes):\n" + b + (bytes.length > SHOWN ? "..." : "");
  }

  /** An HTTP/1.1 request built as a well-behaved client would frame it (unless a header says otherwise). */
  static final class Http {
    private final String method;
    private final String target;
    private final List<String[]> headers = new ArrayList<>();
    private byte[] body;
    private String version = "HTTP/1.1";

    Http(String method, String target) {
      this.method = method;
      this.target = target;
    }

    Http header(String name, String value) {
      if (value != null) {
        headers.add(new String[] {name, value});
      }
      return this;
    }

    Http bearer(String key) {
      return key == null ? this : header("Authorization", "Bearer " + key);
    }

    Http json(String body) {
      return body(body == null ? null : body.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    Http body(byte[] body, String contentType) {
      this.body = body;
      return contentType == null ? this : header("Content-Type", contentType);
    }

    Http version(String version) {
      this.version = version;
      return this;
    }

    byte[] bytes() {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      b.writeBytes((method + " " + target + (version.isEmpty() ? "" : " " + version) + "\r\n").getBytes(StandardCharsets.UTF_8));
      boolean host = false;
      boolean framed = false;
      for (String[] h : headers) {
        String name = h[0].toLowerCase(Locale.ROOT);
        host |= name.equals("host");
        framed |= name.equals("content-length") || name.equals("transfer-encoding");
      }
      if (!host) {
        b.writeBytes("Host: 127.0.0.1\r\n".getBytes(StandardCharsets.ISO_8859_1));
      }
      b.writeBytes("Connection: close\r\n".getBytes(StandardCharsets.ISO_8859_1));
      for (String[] h : headers) {
        b.writeBytes((h[0] + ": " + h[1] + "\r\n").getBytes(StandardCharsets.UTF_8));
      }
      if (body != null && !framed) {
        b.writeBytes(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      }
      b.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
      if (body != null) {
        b.writeBytes(body);
      }
      return b.toByteArray();
    }

    Probe probe(String face, String what) {
      return new Probe(face, method + " " + (target.length() > 120 ? target.substring(0, 120) + "..." : target) + " " + what, false, bytes());
    }

    Probe opsProbe(String what) {
      return new Probe("ops", method + " " + (target.length() > 120 ? target.substring(0, 120) + "..." : target) + " " + what, true, bytes());
    }
  }
}
