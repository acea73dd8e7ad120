package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.EntryChecks.bad;

import dev.gatehouse.registry.models.ProviderDefinition;
import dev.gatehouse.registry.secrets.SecretRefs;
import java.net.URI;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks one model provider entry and turns it into a {@link ProviderDefinition}: the same check
 * for the registry file's entries and the admin API's single one.
 */
public final class ProviderEntries {
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  private static final Set<String> TYPES = Set.of(ProviderDefinition.OPENAI, ProviderDefinition.ANTHROPIC);
  /** The credential headers come from {@code apiKey}, so no header may set them beside it. */
  private static final Set<String> RESTRICTED_HEADERS = restrictedHeaders();

  private ProviderEntries() {}

  /**
   * The provider, with no tenant; throws {@code invalid_registry} naming the field, {@code where}
   * being the entry's path. A timeout left out stays null, so an export writes back only what was
   * written.
   */
  public static ProviderDefinition check(String where, RegistryFile.Provider p) {
    if (p == null) {
      throw bad(where, "is empty");
    }
    if (p.name() == null || !NAME.matcher(p.name()).matches()) {
      throw bad(where + ".name", "must be 1-128 letters, digits, '.', '_' or '-'");
    }
    where = where + " (" + p.name() + ")";
    if (p.type() == null || !TYPES.contains(p.type())) {
      throw bad(where + ".type", "must be openai or anthropic");
    }
    baseUrl(where + ".baseUrl", p.baseUrl());
    if (p.apiKey() != null && !SecretRefs.isReference(p.apiKey())) {
      throw bad(where + ".apiKey", "must name a secret as {{secret:NAME}} (secrets are never written in the registry)");
    }
    EntryChecks.headers(where + ".headers", p.headers(), RESTRICTED_HEADERS, "a provider");
    return new ProviderDefinition(
        p.name(), null, p.type(), p.baseUrl(), p.apiKey(), EntryChecks.timeout(where + ".timeout", p.timeout()), p.headers());
  }

  /** An absolute http(s) URL without placeholders, credentials, query or fragment. */
  private static void baseUrl(String where, String url) {
    if (url != null && url.contains("{")) {
      throw bad(where, "must not hold {placeholders}");
    }
    EntryChecks.url(where, url);
    URI uri = URI.create(url);
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw bad(where, "must not have a query or fragment");
    }
    if (url.length() > 2048) {
      throw bad(where, "must be at most 2048 characters");
    }
  }

  private static Set<String> restrictedHeaders() {
    Set<String> s = new HashSet<>(EntryChecks.RESTRICTED_HEADERS);
    s.add("authorization");
    s.add("x-api-key");
    return Set.copyOf(s);
  }
}
