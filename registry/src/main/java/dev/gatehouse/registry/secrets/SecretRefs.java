package dev.gatehouse.registry.secrets;

import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code {{secret:NAME}}} references in header values and credentials. */
public final class SecretRefs {
  public static final Pattern REF = Pattern.compile("\\{\\{secret:([A-Za-z0-9][A-Za-z0-9._-]{0,63})}}");

  private SecretRefs() {}

  /** {@code text} with each reference replaced by {@code value(name)}. */
  public static String fill(String text, Function<String, String> value) {
    Matcher m = REF.matcher(text);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(sb, Matcher.quoteReplacement(value.apply(m.group(1))));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /** True when {@code text} is exactly one reference. */
  public static boolean isReference(String text) {
    return text != null && REF.matcher(text).matches();
  }
}
