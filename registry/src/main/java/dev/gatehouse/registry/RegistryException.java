package dev.gatehouse.registry;

/** Registry input that cannot be accepted; {@link #code()} is a stable error code. */
public class RegistryException extends RuntimeException {
  private final String code;

  public RegistryException(String code, String message) {
    super(message);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
