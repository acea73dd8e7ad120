package dev.gatehouse.frontend.models;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which of the Anthropic betas a caller of {@code /v1/messages} asks for ({@code anthropic-beta},
 * names separated by commas, in one header or several) Gatehouse passes on to an Anthropic
 * provider: those {@code models.anthropicBetas} names. A beta can switch on what Gatehouse does
 * not govern (Anthropic calling MCP servers or running code itself, its Files API) or bill at
 * prices the model's registry entry does not know (a 1M-token context), so the operator chooses;
 * the others are dropped, and the answer's {@value #DROPPED_HEADER} header names them. A header
 * that is not a list of beta names is refused ({@code invalid_request}).
 */
final class AnthropicBetas {
  static final String HEADER = "anthropic-beta";
  /** Names the betas asked for that were not passed on. */
  static final String DROPPED_HEADER = "Gatehouse-Dropped-Betas";
  /** The most beta names one request may name (Anthropic has a few dozen in all). */
  static final int MAX_NAMES = 32;
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  /** What a request asked for: the betas passed on, and those dropped, each once, in the order asked. */
  record Asked(List<String> passed, List<String> dropped) {}

  static final Asked NONE = new Asked(List.of(), List.of());

  private final Set<String> allowed;

  AnthropicBetas(Set<String> allowed) {
    this.allowed = Set.copyOf(allowed);
  }

  Asked asked(Enumeration<String> headers) {
    if (headers == null || !headers.hasMoreElements()) {
      return NONE;
    }
    Set<String> names = new LinkedHashSet<>();
    while (headers.hasMoreElements()) {
      for (String name : headers.nextElement().split(",", -1)) {
        String n = name.trim();
        if (n.isEmpty()) {
          continue;
        }
        if (!NAME.matcher(n).matches()) {
          throw new ApiException(
              ErrorCode.INVALID_REQUEST,
              "'" + HEADER + "' is a list of beta names separated by commas (each 1 to 64 of a-z, 0-9, '.', '_' and '-')");
        }
        names.add(n);
        if (names.size() > MAX_NAMES) {
          throw new ApiException(ErrorCode.INVALID_REQUEST, "'" + HEADER + "' names at most " + MAX_NAMES + " betas");
        }
      }
    }
    List<String> passed = new ArrayList<>();
    List<String> dropped = new ArrayList<>();
    for (String n : names) {
      (allowed.contains(n) ? passed : dropped).add(n);
    }
    return new Asked(List.copyOf(passed), List.copyOf(dropped));
  }
}
