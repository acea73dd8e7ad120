package dev.gatehouse.activities.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BlockingHttp} over TLS against a real TLS server on loopback, whose certificate (made
 * with the JDK's keytool for the test) names {@code localhost} only: trusted and named, the
 * exchange works and its connection is kept; the JVM's default trust refuses the certificate, and
 * a host the certificate does not name is refused even by a client that trusts it.
 */
class BlockingHttpTlsTest {
  private static final char[] PASSWORD = "changeit".toCharArray();
  @TempDir static Path dir;
  private static SSLServerSocket server;
  private static SSLContext trusting;
  private static final AtomicInteger handshakes = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    Path keystore = dir.resolve("server.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost", "-validity", "2",
                "-keystore", keystore.toString(), "-storetype", "PKCS12",
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
            .redirectErrorStream(true)
            .start();
    String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(out).isZero();

    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      ks.load(in, PASSWORD);
    }
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(ks, PASSWORD);
    SSLContext serverTls = SSLContext.getInstance("TLS");
    serverTls.init(keys.getKeyManagers(), null, null);
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(ks);
    trusting = SSLContext.getInstance("TLS");
    trusting.init(null, trust.getTrustManagers(), null);

    server = (SSLServerSocket) serverTls.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    Thread accept = new Thread(BlockingHttpTlsTest::accept, "blocking-http-tls-test-server");
    accept.setDaemon(true);
    accept.start();
  }

  @AfterAll
  static void stop() throws IOException {
    server.close();
  }

  private static void accept() {
    while (!server.isClosed()) {
      try {
        SSLSocket s = (SSLSocket) server.accept();
        Thread t = new Thread(() -> serve(s));
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  /** Answers each GET on the connection with "secure" until the client goes away. */
  private static void serve(SSLSocket s) {
    try (s) {
      s.startHandshake();
      handshakes.incrementAndGet();
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      StringBuilder head = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0) {
        head.append((char) c);
        if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
          out.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          head.setLength(0);
        }
      }
    } catch (IOException e) {
      // a refused handshake, or the client went away
    }
  }

  private static String get(BlockingHttp http, String host) throws IOException {
    try (BlockingHttp.Exchange exchange =
        http.exchange(new HttpGet("https://" + host + ":" + server.getLocalPort() + "/"), Duration.ofSeconds(10))) {
      exchange.send();
      return new String(exchange.body().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aTrustedCertificateForTheHostServesExchangesOnOneKeptConnection() throws Exception {
    BlockingHttp http = new BlockingHttp(Duration.ofSeconds(5), trusting.getSocketFactory(), 8);
    int before = handshakes.get();
    assertThat(get(http, "localhost")).isEqualTo("secure");
    assertThat(get(http, "localhost")).isEqualTo("secure");
    assertThat(handshakes.get() - before).as("one TLS connection for both").isEqualTo(1);
  }

  @Test
  void theJvmsDefaultTrustRefusesACertificateItDoesNotKnow() {
    BlockingHttp http = new BlockingHttp(Duration.ofSeconds(5));
    assertThatThrownBy(() -> get(http, "localhost"))
        .isInstanceOf(SSLException.class)
        .satisfies(e -> assertThat(NetworkFailures.describe(e)).startsWith("TLS failed"));
  }

  @Test
  void aHostTheCertificateDoesNotNameIsRefusedEvenWhenTheCertificateIsTrusted() {
    BlockingHttp http = new BlockingHttp(Duration.ofSeconds(5), trusting.getSocketFactory(), 8);
    assertThatThrownBy(() -> get(http, "127.0.0.1")).isInstanceOf(SSLException.class);
  }
}
