package dev.gatehouse.workflows.spi;

/**
 * A task's input that {@link GatehouseWorkflow#validate} refuses: the submission gets 400 {@code
 * invalid_request} with this message, and nothing starts.
 */
public class InvalidTaskInputException extends Exception {
  public InvalidTaskInputException(String message) {
    super(message);
  }
}
