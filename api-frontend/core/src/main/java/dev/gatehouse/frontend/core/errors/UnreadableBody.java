package dev.gatehouse.frontend.core.errors;

import java.util.Optional;
import java.util.zip.DataFormatException;
import java.util.zip.ZipException;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.io.EofException;

/**
 * Tells a request body that could not be read apart from a failure of Gatehouse: Jetty reports a
 * gzip body that does not inflate, a bad chunk or a body shorter than its Content-Length as an
 * exception from the body's stream (wrapped by Jersey or the servlet layer). Those are the
 * client's mistakes: a 400 with {@code invalid_encoding} or {@code malformed_body}, never a 500,
 * and nothing worth a stack trace in the log. A body that came slower than the connector's minimum
 * data rate, or stopped coming for its idle timeout, is a 408 {@code request_timeout}.
 */
public final class UnreadableBody {
  private static final int MAX_DEPTH = 16;

  private UnreadableBody() {}

  /** The client error {@code failure} stands for, or empty when it is not about reading the request body. */
  public static Optional<ApiException> of(Throwable failure) {
    return of(failure, true);
  }

  /**
   * Like {@link #of(Throwable)} for a failure Jetty answers itself, where a bare parser refusal
   * (a bad request line, say) is not about a body: only a failure met while reading one counts.
   */
  public static Optional<ApiException> ofBodyStream(Throwable failure) {
    return of(failure, false);
  }

  private static Optional<ApiException> of(Throwable failure, boolean parserRefusals) {
    boolean framing = false;
    Throwable t = failure;
    for (int depth = 0; t != null && depth < MAX_DEPTH; depth++, t = t.getCause()) {
      if (t instanceof ZipException || t instanceof DataFormatException) {
        return Optional.of(
            new ApiException(ErrorCode.INVALID_ENCODING, "the body does not decode as its Content-Encoding (gzip) says"));
      }
      if (t instanceof BadMessageException bad && bad.getCode() == ErrorCode.REQUEST_TIMEOUT.httpStatus()) {
        // Jetty's minimum request data rate (limits.minRequestBodyRate): the body came too slowly.
        return Optional.of(new ApiException(ErrorCode.REQUEST_TIMEOUT, "the body arrived too slowly; send it at once"));
      }
      if (t instanceof java.util.concurrent.TimeoutException) {
        // The connector's idle timeout ran out while the rest of the body was awaited.
        return Optional.of(new ApiException(ErrorCode.REQUEST_TIMEOUT, "the rest of the body did not arrive in time"));
      }
      framing |= (parserRefusals && t instanceof BadMessageException) || t instanceof EofException;
      if (t.getCause() == t) {
        break;
      }
    }
    if (framing) {
      return Optional.of(
          new ApiException(
              ErrorCode.MALFORMED_BODY,
              "the body's framing is broken: a bad chunk, or the body ended before its Content-Length"));
    }
    return Optional.empty();
  }
}
