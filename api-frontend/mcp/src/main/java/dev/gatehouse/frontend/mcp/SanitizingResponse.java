package dev.gatehouse.frontend.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import dev.gatehouse.frontend.core.http.JsonProblems;
import dev.gatehouse.frontend.core.jsonrpc.JsonRpc;
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
  private ByteArrayOutputStream held;

  SanitizingResponse(HttpServletResponse response) {
    super(response);
    this.response = response;
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
      return response.getWriter();
    }
    return new PrintWriter(new java.io.OutputStreamWriter(held, StandardCharsets.UTF_8), true);
  }

  void finish() throws IOException {
    if (held == null || response.isCommitted()) {
      return;
    }
    int status = response.getStatus();
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
}
