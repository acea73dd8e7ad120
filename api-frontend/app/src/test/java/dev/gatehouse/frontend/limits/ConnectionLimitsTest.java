package dev.gatehouse.frontend.limits;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.frontend.testing.TestGatehouse;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The connections the application port holds. A probe's client, with no key, opened connections
 * and sent nothing until the process had no file left to open: Jetty failed every accept (a
 * warning with a stack trace each second) and another tenant's agent waited 16 s for a one-row
 * list. Real HTTP on loopback, raw sockets for the hostile client.
 */
class ConnectionLimitsTest {

  /**
   * At the limit the port stops accepting, and the connections it holds are closed when idle for
   * the shorter timeout (the connector's own is 30 s); an agent's call is then served.
   */
  @Test
  void atTheLimitIdleConnectionsAreClosedAndCallsServedAgain() throws Exception {
    try (TestGatehouse gh =
        TestGatehouse.start(
            c -> {
              c.getLimits().setMaxConnections(4);
              c.getLimits().setIdleTimeoutAtConnectionLimit(io.dropwizard.util.Duration.milliseconds(500));
            })) {
      List<Socket> silent = new ArrayList<>();
      int closed = 0;
      try {
        for (int i = 0; i < 6; i++) {
          silent.add(open(gh));
        }
        for (Socket s : silent) {
          if (closedByServerWithin(s, 2_500)) {
            closed++;
          }
        }
      } finally {
        for (Socket s : silent) {
          s.close();
        }
      }
      // Those held when the limit was reached went at the shorter timeout; the ones accepted after
      // them may stay, as the port is below its limit again.
      assertThat(closed).as("idle connections closed at the limit").isGreaterThanOrEqualTo(3);
      assertThat(gh.get("/v1/tasks", KEY_A).statusCode()).isEqualTo(200);
    }
  }

  /** Below the limit nothing changes: an idle connection stays open past the shorter timeout. */
  @Test
  void belowTheLimitAnIdleConnectionKeepsTheConnectorsTimeout() throws Exception {
    try (TestGatehouse gh =
        TestGatehouse.start(
            c -> {
              c.getLimits().setMaxConnections(50);
              c.getLimits().setIdleTimeoutAtConnectionLimit(io.dropwizard.util.Duration.milliseconds(200));
            })) {
      try (Socket s = open(gh)) {
        assertThat(closedByServerWithin(s, 2_000)).isFalse();
      }
    }
  }

  /**
   * An address holding its share has its next connection closed at once, and counted; once it
   * lets its connections go, it may open others.
   */
  @Test
  void anAddressPastItsShareHasItsNextConnectionClosed() throws Exception {
    try (TestGatehouse gh = TestGatehouse.start(c -> c.getLimits().setMaxConnectionsPerAddress(3))) {
      List<Socket> sockets = new ArrayList<>();
      int closed = 0;
      try {
        for (int i = 0; i < 4; i++) {
          sockets.add(open(gh));
        }
        Thread.sleep(2_000); // the server accepts them in an order of its own: which one goes is not known
        for (Socket s : sockets) {
          if (closedByServerWithin(s, 200)) {
            closed++;
          }
        }
      } finally {
        for (Socket s : sockets) {
          s.close();
        }
      }
      assertThat(closed).as("of four connections from one address, the one past three").isEqualTo(1);
      assertThat(gh.adminGet("/prometheus").body()).containsPattern("gatehouse_admission_refused_total\\{limit=\"connectionsPerAddress\",?\\} [1-9]");
      // Those let go, the address is served again (a connection is counted out once the server
      // has read its end, at once here).
      int status = 0;
      for (int i = 0; i < 50 && status != 200; i++) {
        try {
          status = gh.get("/v1/tasks", KEY_A).statusCode();
        } catch (RuntimeException e) { // the connection closed under the client: try again
          Thread.sleep(100);
        }
      }
      assertThat(status).isEqualTo(200);
    }
  }

  private static Socket open(TestGatehouse gh) throws IOException {
    URI api = URI.create(gh.api());
    return new Socket(api.getHost(), api.getPort());
  }

  /** Whether the server closes {@code s} (a read sees its end) within {@code millis}; the client sends nothing. */
  private static boolean closedByServerWithin(Socket s, int millis) throws IOException {
    s.setSoTimeout(millis);
    InputStream in = s.getInputStream();
    try {
      return in.read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset: closed too
    }
  }
}
