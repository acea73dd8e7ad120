package dev.gatehouse.policies.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.policies.Decision;
import dev.gatehouse.policies.DenialCodes;
import java.util.Set;

/**
 * Checks the arguments of an HTTP tool call before anything is sent: they must be a JSON object,
 * every URL placeholder needs a scalar value, and the request must stay under the size cap.
 */
public final class ToolArgumentsPolicy {
  public static final String NAME = "tool-arguments";

  private final int maxArgumentBytes;

  public ToolArgumentsPolicy(int maxArgumentBytes) {
    this.maxArgumentBytes = maxArgumentBytes;
  }

  public Decision check(String tool, Set<String> urlPlaceholders, JsonNode args) {
    if (args != null && !args.isNull() && !args.isObject()) {
      return deny("arguments of " + tool + " must be a JSON object");
    }
    for (String name : urlPlaceholders) {
      JsonNode v = args == null ? null : args.get(name);
      if (v == null || v.isNull()) {
        return deny(tool + " needs argument '" + name + "' (it is part of the URL)");
      }
      if (!v.isValueNode()) {
        return deny("argument '" + name + "' of " + tool + " goes into the URL and must be a string or number");
      }
    }
    if (args != null && args.toString().length() > maxArgumentBytes) {
      return deny("arguments of " + tool + " are larger than " + maxArgumentBytes + " bytes");
    }
    return Decision.allow(NAME);
  }

  private static Decision deny(String reason) {
    return Decision.deny(NAME, DenialCodes.INVALID_ARGUMENTS, reason);
  }
}
