package dev.gatehouse.frontend.testing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Only a failed assert thrown in Jetty's own code is left out of what a test sees logged. */
class CapturedLogsTest {
  private static Throwable thrownAt(Throwable t, String className) {
    t.setStackTrace(new StackTraceElement[] {new StackTraceElement(className, "run", "X.java", 1)});
    return t;
  }

  @Test
  void onlyJettysOwnFailedAssertsAreLeftOut() {
    Logger logger = (Logger) LoggerFactory.getLogger("org.eclipse.jetty.capturedlogstest");
    try (CapturedLogs logs = CapturedLogs.of("org.eclipse.jetty.capturedlogstest", Level.WARN)) {
      logger.warn("jetty's assert", thrownAt(new AssertionError(), "org.eclipse.jetty.server.internal.HttpChannelState$LastWriteCallback"));
      logger.warn("an assert elsewhere", thrownAt(new AssertionError(), "dev.gatehouse.frontend.core.http.SlowReaders"));
      logger.warn("jetty failing otherwise", thrownAt(new IllegalStateException(), "org.eclipse.jetty.server.Response"));
      logger.warn("no exception");
      assertThat(logs.messages()).hasSize(4);
      assertThat(logs.messagesButJettyAssertions()).containsExactly("an assert elsewhere", "jetty failing otherwise", "no exception");
    }
  }
}
