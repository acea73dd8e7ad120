package dev.gatehouse.activities.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
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

  /**
   * This machine's own addresses reach it whatever their range (a container's or pod's address
   * is in a private network, and the operations port may listen on it): a probe's tenant tool
   * reached this host's eth0 address.
   */
  @Test
  void everyAddressOfThisMachinesInterfacesIsInternal() throws Exception {
    List<InetAddress> mine = new java.util.ArrayList<>();
    for (java.net.NetworkInterface ni : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
      mine.addAll(java.util.Collections.list(ni.getInetAddresses()));
    }
    assertThat(mine).isNotEmpty();
    for (InetAddress a : mine) {
      assertThat(Egress.internal(a)).as(a.toString()).isTrue();
      // The same address as a resolver gives it, without the interface's scope.
      InetAddress bare = InetAddress.getByAddress(a.getAddress());
      assertThat(Egress.internal(bare)).as(bare.toString()).isTrue();
      if (!a.isLoopbackAddress() && !a.isLinkLocalAddress() && a.getAddress().length == 4) {
        String host = a.getHostAddress();
        assertThatThrownBy(() -> Egress.check(java.net.URI.create("http://" + host + ":8081/prometheus")))
            .isInstanceOf(EgressRefusedException.class);
      }
    }
  }

  @Test
  void privateNetworksAndPublicAddressesStayOpen() throws Exception {
    for (String a : OPEN) {
      assertThat(Egress.internal(InetAddress.getByName(a))).as(a).isFalse();
    }
  }

  /**
   * A name can resolve to an IPv6 address that carries an IPv4 one: the resolver gives an {@code
   * Inet6Address} (only a literal in a URL is turned into IPv4 by the JDK), which is not
   * "loopback", and Linux connects to {@code ::ffff:127.0.0.1} as 127.0.0.1. A probe reached the
   * operations port that way through a hosts-file name.
   */
  @Test
  void anIpv6AddressThatCarriesAnIpv4OneCountsAsThatAddress() throws Exception {
    for (String a :
        List.of(
            "::ffff:127.0.0.1", "::ffff:127.9.9.9", "::ffff:169.254.169.254", "::ffff:0.0.0.0", "::ffff:224.0.0.1",
            "::127.0.0.1", "::ffff:0:127.0.0.1", "64:ff9b::127.0.0.1", "64:ff9b::169.254.169.254", "2002:7f00:1::",
            "2002:a9fe:a9fe::1")) {
      InetAddress resolved = asResolved(a);
      assertThat(resolved).as(a).isInstanceOf(Inet6Address.class);
      assertThat(Egress.internal(resolved)).as(a).isTrue();
      assertThatThrownBy(() -> Egress.reachable("h", new InetAddress[] {resolved}, true)).as(a).isInstanceOf(EgressRefusedException.class);
    }
    for (String a : List.of("::ffff:10.0.0.5", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1", "2001:db8::7f00:1")) {
      assertThat(Egress.internal(asResolved(a))).as(a).isFalse();
    }
  }

  /** {@code text} as a resolver gives it: an Inet6Address of its 16 bytes, whatever they carry. */
  private static InetAddress asResolved(String text) throws Exception {
    byte[] bytes = InetAddress.getByName(text).getAddress();
    if (bytes.length == 4) { // the JDK turned a mapped literal into IPv4: rebuild the 16 bytes
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(bytes, 0, mapped, 12, 4);
      bytes = mapped;
    }
    return Inet6Address.getByAddress(null, bytes, -1);
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
