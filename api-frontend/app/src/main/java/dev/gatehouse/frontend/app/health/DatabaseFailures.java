package dev.gatehouse.frontend.app.health;

/**
 * A database failure as a health check says it: the innermost reason, one line, bounded. A check
 * that threw instead was answered with the exception's stack trace, about 60 frames twice, on the
 * admin port's {@code /healthcheck}.
 */
final class DatabaseFailures {
  private DatabaseFailures() {}

  static String reason(Throwable e) {
    Throwable root = e;
    for (int depth = 0; root.getCause() != null && root.getCause() != root && depth < 10; depth++) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    String line = dev.gatehouse.frontend.app.cli.DatabaseUrls.redact(message).replaceAll("\\s+", " ").strip();
    return line.length() <= 300 ? line : line.substring(0, 297) + "...";
  }
}
