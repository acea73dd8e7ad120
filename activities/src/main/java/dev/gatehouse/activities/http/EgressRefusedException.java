package dev.gatehouse.activities.http;

import java.io.IOException;

/**
 * An egress-guarded call ({@link Egress}) found no address it may connect to: its host is, or
 * resolves now to, only internal addresses. Nothing was sent. Not worth retrying: the record's
 * URL must change (or a platform admin must write it). Its message names the host, never a port,
 * path or header.
 */
public final class EgressRefusedException extends IOException {
  /** The stable code of the refusal on every face. */
  public static final String CODE = "egress_refused";

  public EgressRefusedException(String host) {
    super(
        "the host " + host + " resolves to an address this tenant may not reach (loopback, link-local, "
            + "unspecified or multicast); nothing was sent");
  }
}
