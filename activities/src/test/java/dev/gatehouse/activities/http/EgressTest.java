package dev.gatehouse.activities.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The address predicate both egress checks use, and the filter a guarded connection goes through. */
class EgressTest {
  private static final List<String> INTERNAL =
      List.of(
          "127.0.0.1", "127.255.255.254", "::1", "169.254.169.254", "169.254.0.1", "fe80::1", "0.0.0.0", "0.1.2.3", "::",
          "224.0.0.1", "239.255.255.250", "ff02::1", "fd00:ec2::254");
  private static final List<String> OPEN =
      List.of("10.0.0.5", "192.168.1.10", "172.16.0.1", "100.64.0.1", "8.8.8.8", "fd00:ec2::253", "fd12:3456::1", "2001:db8::1");

  @Test
  void internalAddressesAreLoopbackLinkLocalUnspecifiedMulticastAndEc2Metadata() throws Exception {
    for (String a : INTERNAL) {
      assertThat(Egress.internal(InetAddress.getByName(a))).as(a).isTrue();
    }
  }

  @Test
  void privateNetworksAndPublicAddressesStayOpen() throws Exception {
    for (String a : OPEN) {
      assertThat(Egress.internal(InetAddress.getByName(a))).as(a).isFalse();
    }
  }

  @Test
  void aGuardedConnectionKeepsOnlyTheAddressesItMayReach() throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    InetAddress metadata = InetAddress.getByName("169.254.169.254");
    InetAddress lan = InetAddress.getByName("10.1.2.3");
    assertThat(Egress.reachable("h", new InetAddress[] {loopback, lan, metadata}, true)).containsExactly(lan);
    assertThat(Egress.reachable("h", new InetAddress[] {loopback, metadata}, false)).containsExactly(loopback, metadata);
    assertThatThrownBy(() -> Egress.reachable("evil.example", new InetAddress[] {loopback, metadata}, true))
        .isInstanceOf(EgressRefusedException.class)
        .hasMessage(
            "the host evil.example resolves to an address this tenant may not reach (loopback, link-local, "
                + "unspecified or multicast); nothing was sent");
  }

  @Test
  void theCheckBeforeARequestRefusesAHostWithAnyInternalAddress() throws Exception {
    assertThatThrownBy(() -> Egress.check(URI.create("http://localhost:8081/metrics"))).isInstanceOf(EgressRefusedException.class);
    assertThatThrownBy(() -> Egress.check(URI.create("http://[::1]/"))).isInstanceOf(EgressRefusedException.class);
    assertThatThrownBy(() -> Egress.check(URI.create("http://169.254.169.254/latest/meta-data/")))
        .isInstanceOf(EgressRefusedException.class);
    Egress.check(URI.create("http://10.0.0.5/api")); // a private network: allowed
    Egress.check(URI.create("http://no-such-host.invalid/")); // unresolvable: the client fails on it itself
  }

  @Test
  void aRefusalIsFoundAmongCausesAndNamedPlainly() {
    EgressRefusedException refused = new EgressRefusedException("evil.example");
    RuntimeException wrapped = new RuntimeException("outer", new java.io.UncheckedIOException(refused));
    assertThat(Egress.refusal(wrapped)).isSameAs(refused);
    assertThat(Egress.refusal(new RuntimeException("other"))).isNull();
    assertThat(NetworkFailures.describe(wrapped)).isEqualTo(refused.getMessage());
  }
}
