package dev.gatehouse.activities.mcp;

import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.gatehouse.activities.text.UpstreamJson;
import io.modelcontextprotocol.spec.McpTransportException;

/**
 * The response to a request sent past the SDK client ({@link StreamableHttpClientTransport#call})
 * that Gatehouse does not take: larger than the caller's cap, or not JSON it reads (nested deeper
 * than Jackson's limits, say). The request fails at once rather than waiting for a response that
 * has already come. The session stands: the server is there and answered.
 */
public final class McpAnswerRefusedException extends McpTransportException {
  private final int maxBytes;

  private McpAnswerRefusedException(String message, int maxBytes) {
    super(message);
    this.maxBytes = maxBytes;
  }

  /** The response was over {@code maxBytes} (UTF-8). */
  static McpAnswerRefusedException tooLarge(int maxBytes) {
    return new McpAnswerRefusedException("its answer is larger than the cap of " + maxBytes + " bytes", maxBytes);
  }

  /** The response could not be read; the message says why without quoting it. */
  static McpAnswerRefusedException unreadable(Exception cause) {
    return new McpAnswerRefusedException(
        cause instanceof StreamConstraintsException
            ? "its answer goes past what Gatehouse reads (" + UpstreamJson.limits() + ")"
            : "its answer is not valid JSON",
        0);
  }

  /** True when the answer was refused for its size; {@link #maxBytes()} is the cap. */
  public boolean tooLarge() {
    return maxBytes > 0;
  }

  public int maxBytes() {
    return maxBytes;
  }
}
