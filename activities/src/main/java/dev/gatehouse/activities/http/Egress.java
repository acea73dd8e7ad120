package dev.gatehouse.activities.http;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Where Gatehouse's calls for a record a tenant admin wrote (an <em>egress-guarded</em> one) may
 * not go: an internal address, one that reaches Gatehouse's own host or the machine it runs on
 * (loopback, link-local with the cloud's metadata service, the unspecified {@code 0.0.0.0/8},
 * multicast, EC2's IPv6 metadata address, and any address of this machine's own network
 * interfaces, such as a container's or pod's address, on which the operations port may listen; an
 * IPv6 address that carries an IPv4 one, such as {@code ::ffff:127.0.0.1}, counts as the IPv4
 * address it carries). From there a tenant reached the unauthenticated
 * operations port, the embedded database and the cloud's credentials. Private networks ({@code
 * 10/8}, {@code 192.168/16}, ...) are not internal here: internal services are what a gateway is
 * for.
 *
 * <p>One predicate for both checks: the admin API's when a URL is written, and each upstream
 * client's when it connects (a name can be re-pointed after it was written). {@link
 * UpstreamConnections} connects only to the addresses {@link #reachable} leaves. Clients that
 * resolve the name themselves (the JDK's HTTP client, {@code HttpURLConnection}) are checked with
 * {@link #check} just before each request: the JVM's positive DNS cache ({@code
 * networkaddress.cache.ttl}, 30 s by default) is what makes the check and the connection see the
 * same addresses.
 */
public final class Egress {
  private Egress() {}

  /**
   * A JVM system property: {@code true} leaves this machine's own interface addresses out of the
   * internal ones (loopback and the rest stay internal). For a test whose upstream can only listen
   * on this machine; a deployment has no reason to set it.
   */
  public static final String ALLOW_OWN_ADDRESSES = "gatehouse.egress.allowOwnAddresses";

  /** How long the list of this machine's own addresses is kept before it is read again (interfaces come and go). */
  private static final long OWN_ADDRESSES_TTL_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);

  private record OwnAddresses(java.util.Set<InetAddress> addresses, long readAt) {}

  private static volatile OwnAddresses own;

  /**
   * The addresses of this machine's network interfaces, read again when older than 30 s; when
   * they cannot be read, the last ones read (none at first). {@link InetAddress#equals} compares
   * the address alone, so an IPv6 address matches whatever its scope.
   */
  static java.util.Set<InetAddress> ownAddresses() {
    OwnAddresses known = own;
    long now = System.nanoTime();
    if (known != null && now - known.readAt() < OWN_ADDRESSES_TTL_NANOS) {
      return known.addresses();
    }
    java.util.Set<InetAddress> read = new java.util.HashSet<>();
    try {
      java.util.Enumeration<java.net.NetworkInterface> interfaces = java.net.NetworkInterface.getNetworkInterfaces();
      while (interfaces != null && interfaces.hasMoreElements()) {
        read.addAll(java.util.Collections.list(interfaces.nextElement().getInetAddresses()));
      }
    } catch (java.net.SocketException | RuntimeException e) {
      if (known != null) {
        read.addAll(known.addresses());
      }
    }
    OwnAddresses fresh = new OwnAddresses(java.util.Set.copyOf(read), now);
    own = fresh;
    return fresh.addresses();
  }

  /** True for an address a guarded call may not reach. */
  public static boolean internal(InetAddress a) {
    if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress() || a.isMulticastAddress()) {
      return true;
    }
    if (!Boolean.getBoolean(ALLOW_OWN_ADDRESSES) && ownAddresses().contains(a)) {
      return true;
    }
    byte[] b = a.getAddress();
    if (b.length == 4) {
      return b[0] == 0; // 0.0.0.0/8: "this host" on Linux
    }
    InetAddress v4 = embeddedIpv4(b);
    if (v4 != null && internal(v4)) {
      // A resolver's ::ffff:127.0.0.1 is an Inet6Address that is not "loopback", and Linux
      // connects to it as 127.0.0.1 (the JDK converts only a literal in a URL).
      return true;
    }
    if (a instanceof Inet6Address) {
      // fd00:ec2::254, the IPv6 address of EC2's metadata service
      return (b[0] & 0xff) == 0xfd && b[1] == 0 && (b[2] & 0xff) == 0x0e && (b[3] & 0xff) == 0xc2
          && java.util.stream.IntStream.range(4, 14).allMatch(i -> b[i] == 0) && b[14] == 0x02 && (b[15] & 0xff) == 0x54;
    }
    return false;
  }

  /**
   * The IPv4 address an IPv6 address carries where the kernel or a translator may deliver it as
   * IPv4: IPv4-mapped ({@code ::ffff:a.b.c.d}), IPv4-compatible ({@code ::a.b.c.d}),
   * IPv4-translated ({@code ::ffff:0:a.b.c.d}), NAT64's well-known prefix ({@code
   * 64:ff9b::a.b.c.d}) and 6to4 ({@code 2002:aabb:ccdd::}); null for any other (or a 4-byte) one.
   */
  static InetAddress embeddedIpv4(byte[] b) {
    if (b.length != 16) {
      return null;
    }
    int from;
    if (zero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
      from = 12; // mapped
    } else if (zero(b, 0, 12)) {
      from = 12; // compatible
    } else if (zero(b, 0, 8) && (b[8] & 0xff) == 0xff && (b[9] & 0xff) == 0xff && zero(b, 10, 12)) {
      from = 12; // translated
    } else if (b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b && zero(b, 4, 12)) {
      from = 12; // NAT64
    } else if (b[0] == 0x20 && b[1] == 0x02) {
      from = 2; // 6to4
    } else {
      return null;
    }
    try {
      return InetAddress.getByAddress(Arrays.copyOfRange(b, from, from + 4));
    } catch (UnknownHostException e) {
      return null; // four bytes are always an address
    }
  }

  private static boolean zero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The addresses of {@code host} a call may connect to: all of them when it is not {@code
   * guarded}, else those that are not {@link #internal}; none left is a refusal.
   */
  public static InetAddress[] reachable(String host, InetAddress[] addresses, boolean guarded) throws EgressRefusedException {
    if (!guarded) {
      return addresses;
    }
    InetAddress[] open = Arrays.stream(addresses).filter(a -> !internal(a)).toArray(InetAddress[]::new);
    if (open.length == 0) {
      throw new EgressRefusedException(host);
    }
    return open;
  }

  /**
   * For a client that resolves {@code uri}'s host itself: refuses when the host is, or resolves now
   * to, any internal address (the client may connect to any of them). A host that does not resolve
   * is left to the client to fail on.
   */
  public static void check(URI uri) throws EgressRefusedException {
    String host = uri.getHost();
    if (host == null) {
      throw new EgressRefusedException("(none)");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (resolvesInternal(host)) {
      throw new EgressRefusedException(host);
    }
  }

  /**
   * True when {@code host} (a name, or an address without brackets) resolves now to any {@link
   * #internal} address; a host that does not resolve is not judged (false).
   */
  public static boolean resolvesInternal(String host) {
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(host);
    } catch (UnknownHostException | SecurityException e) {
      return false;
    }
    for (InetAddress a : addresses) {
      if (internal(a)) {
        return true;
      }
    }
    return false;
  }

  /** The refusal in {@code failure}'s chain of causes, or null. */
  public static EgressRefusedException refusal(Throwable failure) {
    java.util.Set<Throwable> seen = new java.util.HashSet<>();
    for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof EgressRefusedException r) {
        return r;
      }
      for (Throwable s : t.getSuppressed()) {
        if (s instanceof EgressRefusedException r) {
          return r;
        }
      }
    }
    return null;
  }
}
