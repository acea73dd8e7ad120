package dev.gatehouse.frontend.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.gatehouse.activities.http.Egress;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URL;
import org.junit.jupiter.api.Test;

/**
 * The JWKS of an identity provider a tenant admin wrote: a host that resolves to loopback is
 * refused before anything connects.
 */
class GuardedJwksRetrieverTest {
  @Test
  void aJwksUrlAtLoopbackIsRefusedBeforeAnythingConnects() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      OidcAuthenticator.JwksRetriever retriever = new OidcAuthenticator.JwksRetriever(true);
      for (String host : new String[] {"127.0.0.1", "localhost"}) {
        Throwable failure = catchThrowable(() -> retriever.retrieveResource(new URL("http://" + host + ":" + server.getLocalPort() + "/jwks")));
        assertThat(Egress.refusal(failure)).as(String.valueOf(failure)).isNotNull();
      }
      server.setSoTimeout(300);
      assertThatThrownBy(server::accept).as("nothing connected").isInstanceOf(SocketTimeoutException.class);
    }
  }
}
