package dev.gatehouse.frontend.core.errors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeoutException;
import java.util.zip.ZipException;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.io.EofException;
import org.junit.jupiter.api.Test;

class UnreadableBodyTest {
  private static String code(Throwable failure) {
    return UnreadableBody.of(failure).map(e -> e.error().code()).orElse(null);
  }

  @Test
  void aBodyThatCameTooSlowlyOrStoppedComingIs408() {
    // Jetty's minimum request data rate, as the servlet stream throws it
    assertThat(code(new BadMessageException(408, "Request content data rate < 1024 B/s"))).isEqualTo("request_timeout");
    // the idle timeout while a blocking read waited, wrapped as the layers above wrap it
    assertThat(code(new UncheckedIOException(new IOException(new TimeoutException("Idle timeout expired: 30000/30000 ms")))))
        .isEqualTo("request_timeout");
    assertThat(ErrorCode.REQUEST_TIMEOUT.httpStatus()).isEqualTo(408);
  }

  @Test
  void theOtherBodyFailuresKeepTheirCodes() {
    assertThat(code(new IOException(new ZipException("Not in GZIP format")))).isEqualTo("invalid_encoding");
    assertThat(code(new EofException("early EOF"))).isEqualTo("malformed_body");
    assertThat(code(new BadMessageException(400, "bad chunk"))).isEqualTo("malformed_body");
    assertThat(UnreadableBody.ofBodyStream(new BadMessageException(400, "bad request line"))).isEmpty();
    assertThat(code(new IOException("something else"))).isNull();
  }
}
