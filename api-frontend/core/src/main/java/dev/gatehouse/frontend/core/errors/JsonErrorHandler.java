package dev.gatehouse.frontend.core.errors;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.List;
import java.util.UUID;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers itself, before a request reaches Jersey (an ambiguous URI, a bad header),
 * in the same JSON shape as every other error instead of Jetty's HTML page.
 */
public class JsonErrorHandler extends ErrorHandler {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected boolean generateAcceptableResponse(
      Request request,
      Response response,
      Callback callback,
      String contentType,
      List<Charset> charsets,
      int code,
      String message,
      Throwable cause)
      throws IOException {
    String requestId = "req_" + UUID.randomUUID().toString().replace("-", "");
    String text = code >= 500 ? "an unexpected error occurred" : (message == null ? "the request was rejected" : message);
    byte[] body = JSON.writeValueAsBytes(ErrorBody.of(ErrorCode.ofHttpStatus(code).code(), text, requestId));
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put("X-Request-Id", requestId);
    response.write(true, ByteBuffer.wrap(body), callback);
    return true;
  }
}
