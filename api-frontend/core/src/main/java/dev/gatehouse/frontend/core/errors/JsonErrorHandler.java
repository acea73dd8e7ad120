package dev.gatehouse.frontend.core.errors;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers itself, before a request reaches Jersey (an ambiguous URI, a bad header, a
 * request line with an unknown HTTP version, a URI or headers too long, a method the server does
 * not allow), in the same JSON shape as every other error instead of Jetty's HTML page, with the
 * catalog's code for the status: a 505 says {@code http_version_not_supported}, a 414 {@code
 * uri_too_long}, never {@code internal_error}. Jetty's own reason phrase is kept when it is plain
 * words; anything that looks like a Java name is replaced.
 */
public class JsonErrorHandler extends ErrorHandler {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9 ,.:;'()/_-]{1,200}");

  private final String allowedMethods;
  private final java.util.function.Predicate<String> jsonRpcPaths;

  /** {@code allowedMethods}: what a 405 from the server itself lists in {@code Allow} (Jersey's 405s list the resource's own). */
  public JsonErrorHandler(Collection<String> allowedMethods) {
    this(allowedMethods, path -> false);
  }

  /**
   * As {@link #JsonErrorHandler(Collection)}; a refusal of a request whose path {@code
   * jsonRpcPaths} accepts (the MCP face's) is a JSON-RPC error (id null, the code in {@code
   * data.code}), as that face's own refusals are.
   */
  public JsonErrorHandler(Collection<String> allowedMethods, java.util.function.Predicate<String> jsonRpcPaths) {
    this.allowedMethods = String.join(", ", allowedMethods);
    this.jsonRpcPaths = jsonRpcPaths;
  }

  public JsonErrorHandler() {
    this(List.of());
  }

  /** Every refusal gets its JSON body, whatever the method (Jetty writes one only for GET, POST and HEAD). */
  @Override
  public boolean errorPageForMethod(String method) {
    return true;
  }

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
    String requestId = dev.gatehouse.frontend.core.http.RequestIds.newId();
    if (code == 426) {
      // Jetty's answer to an "HTTP/2.0" request line on an HTTP/1 connector: no upgrade is offered
      // here, so it is the same refusal as any other version this server does not speak.
      code = 505;
      response.setStatus(505);
      response.getHeaders().remove(HttpHeader.UPGRADE);
    }
    if (code == 501) {
      // A servlet's answer to a method it does not implement (PATCH on the operations port, say):
      // the method is what the client got wrong, not something the server failed at.
      code = 405;
      response.setStatus(405);
    }
    ErrorCode error = ErrorCode.ofHttpStatus(code);
    String text = text(code, message);
    if (code == 400 && cause != null) {
      var unreadable = UnreadableBody.ofBodyStream(cause);
      if (unreadable.isPresent()) {
        error = unreadable.get().error();
        text = unreadable.get().getMessage();
        if (error.httpStatus() != code) {
          // a body that stopped coming is a 408, whatever status the failure was reported with
          code = error.httpStatus();
          response.setStatus(code);
        }
      }
    }
    if (code == 405 && !allowedMethods.isEmpty() && !response.getHeaders().contains(HttpHeader.ALLOW)) {
      response.getHeaders().put(HttpHeader.ALLOW, allowedMethods);
    }
    byte[] body =
        jsonRpc(request)
            ? dev.gatehouse.frontend.core.jsonrpc.JsonRpc.error(null, error, text).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)
            : JSON.writeValueAsBytes(ErrorBody.of(error.code(), text, requestId));
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put("X-Request-Id", requestId);
    response.write(true, ByteBuffer.wrap(body), callback);
    return true;
  }

  /** Whether {@code request}'s path is one whose refusals are JSON-RPC errors; false when it has none Jetty could read. */
  private boolean jsonRpc(Request request) {
    try {
      String path = request.getHttpURI() == null ? null : request.getHttpURI().getPath();
      return path != null && jsonRpcPaths.test(path);
    } catch (RuntimeException unreadable) {
      return false;
    }
  }

  private static String text(int code, String message) {
    return switch (code) {
      case 505 -> "this HTTP version is not supported; send HTTP/1.1";
      case 414 -> "the request URI is too long";
      case 431 -> "the request headers are too large";
      case 405 -> "method not allowed";
      default -> {
        if (code >= 500) {
          yield "an unexpected error occurred";
        }
        boolean plain = message != null && PLAIN.matcher(message).matches() && !message.contains("Exception") && !message.contains("java.");
        yield plain ? message : "the request was rejected (" + code + ")";
      }
    };
  }
}
