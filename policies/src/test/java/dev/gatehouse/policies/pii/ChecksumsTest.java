package dev.gatehouse.policies.pii;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChecksumsTest {

  @Test
  void luhnAcceptsTheNetworksTestNumbersAndRefusesAChangedDigit() {
    for (String n : new String[] {"4111111111111111", "5555555555554444", "378282246310005", "6011111111111117", "30569309025904", "79927398713"}) {
      assertThat(Checksums.luhn(n)).as(n).isTrue();
    }
    assertThat(Checksums.luhn("4111111111111112")).isFalse();
    assertThat(Checksums.luhn("79927398710")).isFalse();
    assertThat(Checksums.luhn("4111-1111")).isFalse();
  }

  @Test
  void cardRangesKnowTheNetworksAndTheirLengths() {
    assertThat(Checksums.cardRange("4111111111111111")).isTrue(); // Visa 16
    assertThat(Checksums.cardRange("4222222222222")).isTrue(); // Visa 13
    assertThat(Checksums.cardRange("411111111111111")).isFalse(); // Visa has no 15
    assertThat(Checksums.cardRange("2223003122003222")).isTrue(); // Mastercard 2-series
    assertThat(Checksums.cardRange("2721003122003222")).isFalse(); // just past it
    assertThat(Checksums.cardRange("378282246310005")).isTrue(); // Amex 15
    assertThat(Checksums.cardRange("3782822463100050")).isFalse(); // Amex has no 16
    assertThat(Checksums.cardRange("30569309025904")).isTrue(); // Diners 14
    assertThat(Checksums.cardRange("1234567890123452")).isFalse(); // no network starts with 1
    assertThat(Checksums.cardRange("7992739871300000")).isFalse();
  }

  @Test
  void ibanCheckAndLengths() {
    assertThat(Checksums.ibanMod97("DE89370400440532013000")).isTrue();
    assertThat(Checksums.ibanMod97("GB29NWBK60161331926819")).isTrue();
    assertThat(Checksums.ibanMod97("FR1420041010050500013M02606")).isTrue();
    assertThat(Checksums.ibanMod97("DE89370400440532013001")).isFalse();
    assertThat(Checksums.ibanMod97("DE88370400440532013000")).isFalse();
    assertThat(Checksums.ibanMod97("de89370400440532013000")).isFalse();
    assertThat(Checksums.ibanLength("DE")).isEqualTo(22);
    assertThat(Checksums.ibanLength("NO")).isEqualTo(15);
    assertThat(Checksums.ibanLength("XX")).isZero();
  }
}
