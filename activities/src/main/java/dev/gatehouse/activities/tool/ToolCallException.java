package dev.gatehouse.activities.tool;

/**
 * A tool call that did not produce a result. {@code type} is one of
 * {@link dev.gatehouse.workflows.tool.ToolFailureTypes}; {@code retryable} says whether another
 * attempt could succeed. Messages never hold credentials or upstream URLs' query strings.
 */
public class ToolCallException extends RuntimeException {
  private final String type;
  private final boolean retryable;
  private final int httpStatus;

  public ToolCallException(String type, String message, boolean retryable) {
    this(type, message, retryable, 0);
  }

  public ToolCallException(String type, String message, boolean retryable, int httpStatus) {
    super(message);
    this.type = type;
    this.retryable = retryable;
    this.httpStatus = httpStatus;
  }

  /** The upstream's HTTP status when it answered, else 0. */
  public int httpStatus() {
    return httpStatus;
  }

  public String type() {
    return type;
  }

  public boolean retryable() {
    return retryable;
  }
}
