package dev.gatehouse.activities.tool;

/**
 * A tool call that did not produce a result. {@code type} is one of
 * {@link dev.gatehouse.workflows.tool.ToolFailureTypes}; {@code retryable} says whether another
 * attempt could succeed. Messages never hold credentials or upstream URLs' query strings.
 */
public class ToolCallException extends RuntimeException {
  private final String type;
  private final boolean retryable;

  public ToolCallException(String type, String message, boolean retryable) {
    super(message);
    this.type = type;
    this.retryable = retryable;
  }

  public String type() {
    return type;
  }

  public boolean retryable() {
    return retryable;
  }
}
