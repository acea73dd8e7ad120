package dev.gatehouse.registry.tools;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How an HTTP tool is called. {@code {name}} placeholders in {@code url} are filled from the
 * arguments of the same name (URL-encoded); the other arguments go as query parameters for GET and
 * DELETE and as a JSON body otherwise.
 */
public record HttpEndpoint(String method, String url, Map<String, String> headers) {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z0-9_-]+)}");

  public HttpEndpoint {
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  /** The names of the URL's placeholders, in order. */
  public Set<String> placeholders() {
    Set<String> names = new LinkedHashSet<>();
    Matcher m = PLACEHOLDER.matcher(url);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** True for the methods whose leftover arguments travel in the query string. */
  public boolean argsInQuery() {
    return method.equals("GET") || method.equals("DELETE");
  }
}
