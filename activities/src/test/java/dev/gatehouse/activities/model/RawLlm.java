package dev.gatehouse.activities.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A FAKE model provider on a bare loopback socket (nothing real can run an LLM here), for the tests
 * that need to say which bytes of an answer go out in which write, and when: each request (its
 * body read and dropped) is answered by the {@link Script} the test set. {@link FakeLlm} is the
 * provider for everything else.
 */
final class RawLlm implements AutoCloseable {
  /** Writes one answer, status line to end, in the writes it chooses. */
  interface Script {
    void answer(OutputStream out) throws IOException, InterruptedException;
  }

  /** The head of a 200 event stream in chunks. */
  static final String STREAM_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

  private final ServerSocket server;
  private volatile Script script;
  /** The head (request line and headers) of the last request received. */
  private volatile String lastHead = "";

  RawLlm() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "raw-llm");
    accept.setDaemon(true);
    accept.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getLocalPort() + "/v1";
  }

  /** The head of the last request received (its headers as sent, a key included), for a script to answer with. */
  String lastHead() {
    return lastHead;
  }

  /** The value of header {@code name} in the last request received; empty when it had none. */
  String lastHeader(String name) {
    for (String line : lastHead.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return "";
  }

  void script(Script script) {
    this.script = script;
  }

  /** One chunk of a chunked body. */
  static String chunk(String data) {
    return Integer.toHexString(data.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + data + "\r\n";
  }

  /** An OpenAI stream event: a chunk whose delta is {@code content}, or that finishes with {@code finish}. */
  static String event(String content, String finish) {
    String delta = content == null ? "{}" : "{\"content\":\"" + content + "\"}";
    String reason = finish == null ? "null" : "\"" + finish + "\"";
    return "data: {\"id\":\"chatcmpl-raw\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m-raw\","
        + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + reason + "}]}\n\n";
  }

  static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread t = new Thread(() -> serve(s), "raw-llm-connection");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      String head;
      while ((head = readHead(in)) != null) {
        in.readNBytes(contentLength(head));
        lastHead = head;
        script.answer(out);
        out.flush();
      }
    } catch (IOException e) {
      // the client closed the connection
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      sb.append((char) c);
      if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
        return sb.toString();
      }
    }
    return null;
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        return Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    return 0;
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
