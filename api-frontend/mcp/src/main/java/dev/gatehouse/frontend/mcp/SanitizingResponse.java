package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.JsonProblems;
import dev.gatehouse.frontend.core.jsonrpc.JsonRpc;
import dev.gatehouse.frontend.core.sse.LoneSurrogateEscapes;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * Lets the SDK's successful answers through untouched (SSE included) and holds back the body of
 * its error answers, which are replaced by a JSON-RPC error without internals (no Java type
 * names: {@link JsonProblems}).
 */
final class SanitizingResponse extends HttpServletResponseWrapper {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServletResponse response;
  private final boolean answerToNothing;
  private final boolean listening;
  private ByteArrayOutputStream held;

  /**
   * {@code answerToNothing}: the message is the agent's response to a request that neither
   * Gatehouse nor (as its error then says) the SDK is waiting for, an answer that came too late or
   * never had a question. MCP's Streamable HTTP transport answers a response it accepts with 202
   * and no body; JSON-RPC 2.0 gives a response nothing to answer, and an id nobody waits for is not
   * the agent's mistake to fix (it may just be late). So it is accepted and dropped, as the
   * reference SDK's server does, instead of the SDK's 500.
   *
   * <p>{@code listening}: the request opens the session's listening stream (a GET). The SDK sends
   * its headers with the stream's first event, a keep-alive ping up to {@code
   * mcp.keepAliveInterval} later, and a client waits for them that long; they are sent as soon as
   * the SDK takes the stream's writer instead (see {@link #getWriter}).
   */
  SanitizingResponse(HttpServletResponse response, boolean answerToNothing, boolean listening) {
    super(response);
    this.response = response;
    this.answerToNothing = answerToNothing;
    this.listening = listening;
  }

  private boolean holding() {
    if (held == null && response.getStatus() >= 400) {
      held = new ByteArrayOutputStream();
    }
    return held != null;
  }

  @Override
  public void sendError(int sc, String msg) {
    setStatus(sc);
    holding();
  }

  @Override
  public void sendError(int sc) {
    sendError(sc, null);
  }

  @Override
  public ServletOutputStream getOutputStream() throws IOException {
    if (!holding()) {
      return response.getOutputStream();
    }
    return new ServletOutputStream() {
      @Override
      public boolean isReady() {
        return true;
      }

      @Override
      public void setWriteListener(WriteListener listener) {}

      @Override
      public void write(int b) {
        held.write(b);
      }
    };
  }

  @Override
  public PrintWriter getWriter() throws IOException {
    if (!holding()) {
      PrintWriter writer = response.getWriter();
      String type = response.getContentType();
      boolean events = type != null && type.startsWith("text/event-stream");
      if (listening && events && !response.isCommitted() && response.getStatus() == 200) {
        // On the request thread, before the SDK hands the stream to the threads that write its
        // events (a servlet response is not for two threads at once): nothing else writes yet.
        response.flushBuffer();
      }
      // What the SDK writes is JSON: a lone surrogate an upstream sent (a resource's text, a
      // notification's message) goes out escaped, not as bytes that are not UTF-8.
      PrintWriter escaping = new PrintWriter(new LoneSurrogateEscapes(writer));
      return events ? new WithoutEventIds(escaping) : escaping;
    }
    return new PrintWriter(new java.io.OutputStreamWriter(held, StandardCharsets.UTF_8), true);
  }

  void finish() throws IOException {
    if (held == null || response.isCommitted()) {
      return;
    }
    int status = response.getStatus();
    if (answerToNothing) {
      response.resetBuffer();
      response.setStatus(202);
      response.setContentLength(0);
      return;
    }
    String message = "the request was refused";
    try {
      JsonNode sdk = JSON.readTree(held.toByteArray());
      String m = sdk == null ? null : sdk.path("message").asText(sdk.path("error").path("message").asText(null));
      if (m != null && !m.isBlank()) {
        // The SDK's messages quote Jackson's, which name its Java types: say it in JSON's terms.
        if (JsonProblems.looksJava(m)) {
          m = "the message does not fit the MCP schema: " + JsonProblems.clean(m, "a value has the wrong type");
        }
        message = m.length() > 300 ? m.substring(0, 300) : m;
      }
    } catch (IOException | RuntimeException ignored) {
      // not JSON: keep the generic message
    }
    // The SDK answers 404 only for a session it does not know.
    ErrorCode error = status == 404 ? ErrorCode.UNKNOWN_SESSION : ErrorCode.ofHttpStatus(status);
    response.resetBuffer();
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.getOutputStream().write(JsonRpc.error(null, error, message).toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * An SSE writer that leaves out the events' {@code id} lines. The SDK gives every event of a
   * session's listening stream the session's id as its SSE id, where MCP's transport says an event
   * id, if present, MUST be unique across the session's streams; and it replays nothing for a
   * {@code Last-Event-ID}. Without ids no client tries to resume what cannot be resumed, which is
   * what the transport says of a server that cannot. The SDK writes an id as one {@code
   * write("id: ...\n")} before the event's other lines.
   */
  static final class WithoutEventIds extends PrintWriter {
    WithoutEventIds(PrintWriter events) {
      super(events);
    }

    @Override
    public void write(String s) {
      if (s.startsWith("id:") && s.indexOf('\n') == s.length() - 1) {
        return;
      }
      super.write(s);
    }
  }
}
