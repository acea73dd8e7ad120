package dev.gatehouse.policies.pii;

/**
 * Whether text is an IPv6 address in the forms of RFC 4291 section 2.2: eight groups of one to four
 * hex digits, or fewer around one {@code ::}, the last two groups possibly written as an IPv4
 * address. Parsed by hand: {@code InetAddress} would do, but it belongs to the network stack this
 * module stays out of.
 *
 * <p>One rule is ours, for precision: short forms whose groups all have one or two digits
 * ({@code 1::2}, {@code 10::20}, {@code ::2}) are array slices and ratios far more often than
 * addresses, so an address needs a group of three or four digits, or to be the loopback
 * {@code ::1}.
 */
final class Ipv6 {
  private Ipv6() {}

  static boolean valid(CharSequence text, int start, int end) {
    String s = text.subSequence(start, end).toString();
    if (s.equals("::1")) {
      return true;
    }
    int gap = s.indexOf("::");
    if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
      return false;
    }
    int groups;
    int[] longest = {0};
    if (gap < 0) {
      groups = groups(s, true, longest);
      if (groups != 8) {
        return false;
      }
    } else {
      String head = s.substring(0, gap);
      String tail = s.substring(gap + 2);
      int h = head.isEmpty() ? 0 : groups(head, false, longest);
      int t = tail.isEmpty() ? 0 : groups(tail, true, longest);
      if (h < 0 || t < 0 || h + t > 7) {
        return false;
      }
    }
    return longest[0] >= 3;
  }

  /**
   * The number of groups in a colon-separated list with no empty group (an IPv4 address last, when
   * {@code last}, counts as two), or -1.
   */
  private static int groups(String s, boolean last, int[] longest) {
    String[] parts = s.split(":", -1);
    int n = 0;
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (last && i == parts.length - 1 && p.indexOf('.') >= 0) {
        if (!ipv4(p)) {
          return -1;
        }
        longest[0] = Math.max(longest[0], 3);
        n += 2;
        continue;
      }
      if (p.isEmpty() || p.length() > 4) {
        return -1;
      }
      for (int k = 0; k < p.length(); k++) {
        if (Character.digit(p.charAt(k), 16) < 0) {
          return -1;
        }
      }
      longest[0] = Math.max(longest[0], p.length());
      n++;
    }
    return n;
  }

  private static boolean ipv4(String s) {
    String[] octets = s.split("\\.", -1);
    if (octets.length != 4) {
      return false;
    }
    for (String o : octets) {
      if (o.isEmpty() || o.length() > 3 || o.length() > 1 && o.charAt(0) == '0') {
        return false;
      }
      for (int k = 0; k < o.length(); k++) {
        if (o.charAt(k) < '0' || o.charAt(k) > '9') {
          return false;
        }
      }
      if (Integer.parseInt(o) > 255) {
        return false;
      }
    }
    return true;
  }
}
