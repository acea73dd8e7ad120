package dev.gatehouse.activities.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Gatehouse's stdio transport against real child processes ({@code sh} scripts): a line on stdout
 * that is not a message is skipped, not the end of reading, and its content is not logged; what
 * is written reaches the child's stdin; a child that exits is reported, one closed on purpose is
 * not.
 */
class StdioTransportTest {
  private static final String SECRET = "s3cret-stdio-value";

  private static ServerParameters sh(String script) {
    return ServerParameters.builder("sh").args("-c", script).env(Map.of("TOKEN", SECRET)).build();
  }

  @Test
  void aLineThatIsNotAMessageIsSkippedUnloggedAndTheMessagesAfterItAreRead() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(StdioTransport.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    Level level = logger.getLevel();
    logger.setLevel(Level.DEBUG);
    logger.addAppender(logs);
    List<McpSchema.JSONRPCMessage> received = new CopyOnWriteArrayList<>();
    CountDownLatch two = new CountDownLatch(2);
    StdioTransport transport =
        new StdioTransport(
            sh("echo \"starting with token $TOKEN\"; echo; "
                + "echo '{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"one\"}}'; "
                + "read line; printf '%s\\n' \"$line\"; echo \"stderr has $TOKEN\" >&2; sleep 30"),
            null, "noisy", null,
            new dev.gatehouse.activities.credentials.UpstreamCredentials.Resolved(Map.of(), java.util.Set.of(SECRET))::redactMessage);
    try {
      transport
          .connect(m -> m.doOnNext(message -> {
            received.add(message);
            two.countDown();
          }))
          .block(Duration.ofSeconds(10));
      transport.sendMessage(new McpSchema.JSONRPCRequest("2.0", "ping", 7, null)).block(Duration.ofSeconds(10));
      assertThat(two.await(10, TimeUnit.SECONDS)).as("both messages read: " + received).isTrue();
      assertThat(received.get(0)).isInstanceOfSatisfying(
          McpSchema.JSONRPCNotification.class, n -> assertThat(n.method()).isEqualTo("notifications/message"));
      // The child echoed what it was sent: the request reached its stdin whole, on one line.
      assertThat(received.get(1)).isInstanceOfSatisfying(McpSchema.JSONRPCRequest.class, r -> {
        assertThat(r.method()).isEqualTo("ping");
        assertThat(r.id()).isEqualTo(7);
      });
      Thread.sleep(300); // the stderr line is logged at debug
      List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
      assertThat(lines).anyMatch(l -> l.contains("MCP server noisy wrote a line of") && l.contains("not a JSON-RPC message"));
      assertThat(logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).map(ILoggingEvent::getFormattedMessage))
          .as("what the line held is not logged")
          .noneMatch(l -> l.contains(SECRET) || l.contains("starting with token"));
      // The child's stderr is logged at debug, without the secret Gatehouse gave it in its environment.
      assertThat(lines).contains("MCP server noisy (stderr): stderr has [redacted]");
      assertThat(lines).noneMatch(l -> l.contains(SECRET));
    } finally {
      logger.detachAppender(logs);
      logger.setLevel(level);
      transport.closeGracefully().block(Duration.ofSeconds(10));
    }
  }

  @Test
  void aChildThatExitsIsReportedOneClosedOnPurposeIsNot() throws Exception {
    CountDownLatch exited = new CountDownLatch(1);
    StdioTransport dies = new StdioTransport(sh("exit 3"), null, "dies", exited::countDown);
    dies.connect(m -> m).block(Duration.ofSeconds(10));
    assertThat(exited.await(10, TimeUnit.SECONDS)).isTrue();
    dies.closeGracefully().block(Duration.ofSeconds(10));

    CountDownLatch closedExited = new CountDownLatch(1);
    StdioTransport closed = new StdioTransport(sh("sleep 30"), null, "closed", closedExited::countDown);
    closed.connect(m -> m).block(Duration.ofSeconds(10));
    closed.closeGracefully().block(Duration.ofSeconds(10));
    assertThat(closedExited.await(1, TimeUnit.SECONDS)).as("a close on purpose is not an exit to report").isFalse();
    assertThat(closed.sendMessage(new McpSchema.JSONRPCNotification("2.0", "notifications/initialized", null)).onErrorResume(e -> Mono.empty()).block(Duration.ofSeconds(5)))
        .isNull();
  }

  @Test
  void aTransportClosedBeforeItsProcessStartedStartsNoneAndAClosedOneEndsWhatItsChildStarted() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("stdio-transport");
    java.nio.file.Path marker = dir.resolve("started");
    StdioTransport early =
        new StdioTransport(
            ServerParameters.builder("sh").args("-c", "touch \"$MARKER\"; sleep 30").env(Map.of("MARKER", marker.toString())).build(),
            null, "early", null);
    early.closeGracefully().block(Duration.ofSeconds(10));
    assertThat(early.connect(m -> m).then(Mono.just("connected")).onErrorResume(e -> Mono.just("refused")).block(Duration.ofSeconds(10)))
        .isEqualTo("refused");
    Thread.sleep(300);
    assertThat(marker).as("no process was started after the close").doesNotExist();

    // sh starts sleep as a child of its own and waits for it: closing ends both.
    java.nio.file.Path pidFile = dir.resolve("child");
    StdioTransport parent =
        new StdioTransport(
            ServerParameters.builder("sh").args("-c", "sleep 30 & echo $! > \"$PIDS\"; wait").env(Map.of("PIDS", pidFile.toString())).build(),
            null, "parent", null);
    parent.connect(m -> m).block(Duration.ofSeconds(10));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while ((!java.nio.file.Files.exists(pidFile) || java.nio.file.Files.readString(pidFile).isBlank()) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    long child = Long.parseLong(java.nio.file.Files.readString(pidFile).trim());
    assertThat(ProcessHandle.of(child)).as("the child runs").isPresent();
    parent.closeGracefully().block(Duration.ofSeconds(10));
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertThat(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false)).as("the child's child was ended with it").isFalse();
  }

  @Test
  void linesAreBoundedAndALongerOneIsReadToItsEndAndDroppedAlone() throws Exception {
    String input = "short\r\n" + "x".repeat(100) + "\nafter\n\nlast without a break";
    StdioTransport.Lines lines = new StdioTransport.Lines(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), 64);
    List<StdioTransport.Lines.Line> read = new ArrayList<>();
    for (StdioTransport.Lines.Line line = lines.next(); line != null; line = lines.next()) {
      read.add(line);
    }
    assertThat(read)
        .containsExactly(
            new StdioTransport.Lines.Line("short", 6),
            new StdioTransport.Lines.Line(null, 100),
            new StdioTransport.Lines.Line("after", 5),
            new StdioTransport.Lines.Line("", 0),
            new StdioTransport.Lines.Line("last without a break", 20));
  }
}
