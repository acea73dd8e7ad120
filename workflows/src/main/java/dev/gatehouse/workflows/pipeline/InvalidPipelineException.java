package dev.gatehouse.workflows.pipeline;

/** A pipeline or template that cannot run; {@link #code()} is a stable error code. */
public class InvalidPipelineException extends RuntimeException {
  private final String code;

  public InvalidPipelineException(String code, String message) {
    super(message);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
