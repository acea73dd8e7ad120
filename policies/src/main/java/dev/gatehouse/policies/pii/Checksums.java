package dev.gatehouse.policies.pii;

import java.util.Map;

/**
 * The check digits that tell a payment card number or an IBAN from any other run of digits: the
 * Luhn check (ISO/IEC 7812), the card networks' number ranges, and the IBAN's ISO 7064 mod-97 check
 * with each country's fixed length (the SWIFT IBAN registry). Checksums, not cryptography.
 */
final class Checksums {
  private Checksums() {}

  /** True when the digits (ASCII, nothing else) pass the Luhn check. */
  static boolean luhn(CharSequence digits) {
    int sum = 0;
    boolean twice = false;
    for (int i = digits.length() - 1; i >= 0; i--) {
      int d = digits.charAt(i) - '0';
      if (d < 0 || d > 9) {
        return false;
      }
      if (twice) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      twice = !twice;
    }
    return sum % 10 == 0;
  }

  /**
   * True when a number of this length and leading digits is in the range of a card network that
   * issues numbers of that length: Visa, Mastercard (51-55, 2221-2720), American Express, Discover,
   * JCB, Diners Club, UnionPay and Maestro. Numbers of other ranges (a leading 1, 7, 8, 9 or 0, for
   * one) are order numbers, accounts and the like, whatever their check digit says.
   */
  static boolean cardRange(CharSequence digits) {
    int n = digits.length();
    int p1 = digits.charAt(0) - '0';
    int p2 = p1 * 10 + (digits.charAt(1) - '0');
    int p3 = p2 * 10 + (digits.charAt(2) - '0');
    int p4 = p3 * 10 + (digits.charAt(3) - '0');
    if (p1 == 4) {
      return n == 13 || n == 16 || n == 19; // Visa
    }
    if (p2 >= 51 && p2 <= 55 || p4 >= 2221 && p4 <= 2720) {
      return n == 16; // Mastercard
    }
    if (p2 == 34 || p2 == 37) {
      return n == 15; // American Express
    }
    if (p4 == 6011 || p3 >= 644 && p3 <= 649 || p2 == 65) {
      return n >= 16 && n <= 19; // Discover
    }
    if (p4 >= 3528 && p4 <= 3589) {
      return n >= 16 && n <= 19; // JCB
    }
    if (p3 >= 300 && p3 <= 305 || p2 == 36 || p2 == 38 || p2 == 39) {
      return n >= 14 && n <= 19; // Diners Club
    }
    if (p2 == 62) {
      return n >= 16 && n <= 19; // UnionPay
    }
    if (p2 == 50 || p2 >= 56 && p2 <= 69) {
      return n >= 13 && n <= 19; // Maestro (and the rest of the 6 range)
    }
    return false;
  }

  /** The IBAN length of each country of the SWIFT IBAN registry. */
  private static final Map<String, Integer> IBAN_LENGTHS =
      Map.ofEntries(
          Map.entry("AD", 24), Map.entry("AE", 23), Map.entry("AL", 28), Map.entry("AT", 20),
          Map.entry("AZ", 28), Map.entry("BA", 20), Map.entry("BE", 16), Map.entry("BG", 22),
          Map.entry("BH", 22), Map.entry("BI", 27), Map.entry("BR", 29), Map.entry("BY", 28),
          Map.entry("CH", 21), Map.entry("CR", 22), Map.entry("CY", 28), Map.entry("CZ", 24),
          Map.entry("DE", 22), Map.entry("DJ", 27), Map.entry("DK", 18), Map.entry("DO", 28),
          Map.entry("EE", 20), Map.entry("EG", 29), Map.entry("ES", 24), Map.entry("FI", 18),
          Map.entry("FK", 18), Map.entry("FO", 18), Map.entry("FR", 27), Map.entry("GB", 22),
          Map.entry("GE", 22), Map.entry("GI", 23), Map.entry("GL", 18), Map.entry("GR", 27),
          Map.entry("GT", 28), Map.entry("HR", 21), Map.entry("HU", 28), Map.entry("IE", 22),
          Map.entry("IL", 23), Map.entry("IQ", 23), Map.entry("IS", 26), Map.entry("IT", 27),
          Map.entry("JO", 30), Map.entry("KW", 30), Map.entry("KZ", 20), Map.entry("LB", 28),
          Map.entry("LC", 32), Map.entry("LI", 21), Map.entry("LT", 20), Map.entry("LU", 20),
          Map.entry("LV", 21), Map.entry("LY", 25), Map.entry("MC", 27), Map.entry("MD", 24),
          Map.entry("ME", 22), Map.entry("MK", 19), Map.entry("MN", 20), Map.entry("MR", 27),
          Map.entry("MT", 31), Map.entry("MU", 30), Map.entry("NI", 28), Map.entry("NL", 18),
          Map.entry("NO", 15), Map.entry("OM", 23), Map.entry("PK", 24), Map.entry("PL", 28),
          Map.entry("PS", 29), Map.entry("PT", 25), Map.entry("QA", 29), Map.entry("RO", 24),
          Map.entry("RS", 22), Map.entry("RU", 33), Map.entry("SA", 24), Map.entry("SC", 31),
          Map.entry("SD", 18), Map.entry("SE", 24), Map.entry("SI", 19), Map.entry("SK", 24),
          Map.entry("SM", 27), Map.entry("SO", 23), Map.entry("ST", 25), Map.entry("SV", 28),
          Map.entry("TL", 23), Map.entry("TN", 24), Map.entry("TR", 26), Map.entry("UA", 29),
          Map.entry("VA", 22), Map.entry("VG", 24), Map.entry("XK", 20), Map.entry("YE", 30));

  /** The IBAN length of the country, or 0 for a code that is not in the registry. */
  static int ibanLength(CharSequence country) {
    return IBAN_LENGTHS.getOrDefault(country.toString(), 0);
  }

  /**
   * True when the IBAN (upper-case letters and digits, no spaces) passes the mod-97 check: moved
   * four characters to the end, letters as 10 to 35, the number is 1 modulo 97.
   */
  static boolean ibanMod97(CharSequence iban) {
    int n = iban.length();
    if (n < 5) {
      return false;
    }
    int rem = 0;
    for (int k = 0; k < n; k++) {
      char c = iban.charAt((k + 4) % n);
      if (c >= '0' && c <= '9') {
        rem = (rem * 10 + (c - '0')) % 97;
      } else if (c >= 'A' && c <= 'Z') {
        rem = (rem * 100 + (c - 'A' + 10)) % 97;
      } else {
        return false;
      }
    }
    return rem == 1;
  }
}
