package dev.gatehouse.frontend.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.core.server.SimpleServerFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.dropwizard.util.DataSize;
import java.util.List;
import org.junit.jupiter.api.Test;

/** limits.minRequestBodyRate on the application connectors (the end-to-end cut-off: ProtocolRefusalsTest). */
class SlowBodiesTest {
  @Test
  void theRateGoesOnApplicationConnectorsThatNameNoneOfTheirOwn() {
    DefaultServerFactory server = new DefaultServerFactory();
    HttpConnectorFactory plain = new HttpConnectorFactory();
    HttpConnectorFactory own = new HttpConnectorFactory();
    own.setMinRequestDataPerSecond(DataSize.kibibytes(64));
    HttpConnectorFactory admin = new HttpConnectorFactory();
    server.setApplicationConnectors(List.of(plain, own));
    server.setAdminConnectors(List.of(admin));

    GatehouseApplication.slowBodiesCutOff(server, DataSize.kibibytes(1));

    assertThat(plain.getMinRequestDataPerSecond()).isEqualTo(DataSize.kibibytes(1));
    assertThat(own.getMinRequestDataPerSecond()).isEqualTo(DataSize.kibibytes(64));
    assertThat(admin.getMinRequestDataPerSecond().toBytes()).isZero();
  }

  @Test
  void zeroLeavesTheConnectorsAlone() {
    DefaultServerFactory server = new DefaultServerFactory();
    HttpConnectorFactory plain = new HttpConnectorFactory();
    server.setApplicationConnectors(List.of(plain));
    GatehouseApplication.slowBodiesCutOff(server, DataSize.bytes(0));
    assertThat(plain.getMinRequestDataPerSecond().toBytes()).isZero();
  }

  @Test
  void theSimpleServersOneConnectorGetsItToo() {
    SimpleServerFactory server = new SimpleServerFactory();
    GatehouseApplication.slowBodiesCutOff(server, DataSize.kibibytes(2));
    assertThat(((HttpConnectorFactory) server.getConnector()).getMinRequestDataPerSecond()).isEqualTo(DataSize.kibibytes(2));
  }
}
