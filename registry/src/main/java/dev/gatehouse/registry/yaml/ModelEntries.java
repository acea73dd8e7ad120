package dev.gatehouse.registry.yaml;

import static dev.gatehouse.registry.yaml.EntryChecks.bad;

import dev.gatehouse.registry.RegistryException;
import dev.gatehouse.registry.models.ModelDefinition;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Checks one model entry and turns it into a {@link ModelDefinition} ({@link #check}), then its
 * references: the providers of its targets and its fallback aliases must exist where its owner
 * can see them ({@link #references}), and fallbacks must not loop ({@link #cycle}). The registry
 * file and the admin API run the same checks with the same messages.
 */
public final class ModelEntries {
  /** Aliases: no '/', so an alias is one segment of {@code /admin/v1/models/{name}}; ':' as in Ollama's tags. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
  /** The longest alias {@link #NAME} allows. */
  public static final int MAX_NAME = 128;
  public static final int MAX_TARGETS = 32;
  public static final int MAX_FALLBACKS = 16;
  public static final int MAX_WEIGHT = 10_000;
  public static final int MAX_TOKENS = 100_000_000;
  /** Per million tokens: far above any real price, small enough to sum without surprises. */
  public static final BigDecimal MAX_PRICE = BigDecimal.valueOf(1_000_000);
  public static final int MAX_PRICE_DECIMALS = 9;

  private ModelEntries() {}

  /**
   * The model, with no tenant, weights defaulted to 1 and prices in their shortest form; throws
   * {@code invalid_registry} naming the field, {@code where} being the entry's path.
   */
  public static ModelDefinition check(String where, RegistryFile.Model m) {
    if (m == null) {
      throw bad(where, "is empty");
    }
    if (m.name() == null || !NAME.matcher(m.name()).matches()) {
      throw bad(where + ".name", "must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
    }
    where = where + " (" + m.name() + ")";
    List<ModelDefinition.Target> targets = targets(where + ".targets", m.targets());
    List<String> fallbacks = fallbacks(where + ".fallbacks", m.name(), m.fallbacks());
    ModelDefinition.Prices prices = null;
    if (m.prices() != null) {
      prices = new ModelDefinition.Prices(
          price(where + ".prices.input", m.prices().input()),
          price(where + ".prices.cachedInput", m.prices().cachedInput()),
          price(where + ".prices.output", m.prices().output()),
          price(where + ".prices.cacheWrite", m.prices().cacheWrite()));
    }
    Integer contextWindow = tokens(where + ".contextWindow", m.contextWindow());
    Integer maxOutput = tokens(where + ".maxOutput", m.maxOutput());
    if (contextWindow != null && maxOutput != null && maxOutput > contextWindow) {
      throw bad(where + ".maxOutput", "must not exceed contextWindow (" + contextWindow + ")");
    }
    return new ModelDefinition(
        m.name(), null, targets, fallbacks,
        m.retry() == null ? null : EntryChecks.retry(where + ".retry", m.retry()),
        prices, contextWindow, maxOutput);
  }

  /**
   * The model's providers and fallbacks exist where its owner sees them: {@code tenant} is the
   * owner's name as the message should say it (null: a global model, which sees only global
   * ones); {@code provider} and {@code model} say whether a name is visible to that owner.
   */
  public static void references(
      String where, ModelDefinition m, String tenant, Predicate<String> provider, Predicate<String> model) {
    where = where + " (" + m.name() + ")";
    String scope = tenant == null ? "global" : "in tenant '" + tenant + "' or global";
    for (int i = 0; i < m.targets().size(); i++) {
      String name = m.targets().get(i).provider();
      if (!provider.test(name)) {
        throw refused(where + ".targets[" + i + "].provider", tenant == null
            ? "no global provider '" + name + "' (a global model uses global providers only)"
            : "no provider '" + name + "' " + scope);
      }
    }
    for (int i = 0; i < m.fallbacks().size(); i++) {
      String name = m.fallbacks().get(i);
      if (!model.test(name)) {
        throw refused(where + ".fallbacks[" + i + "]", tenant == null
            ? "no global model '" + name + "' (a global model falls back to global models only)"
            : "no model '" + name + "' " + scope);
      }
    }
  }

  /**
   * A loop of fallbacks through {@code start} ({@code [a, b, a]}), or an empty list; {@code
   * fallbacks} gives each alias's fallbacks (empty for an unknown one).
   */
  public static List<String> cycle(String start, Function<String, List<String>> fallbacks) {
    List<String> path = new ArrayList<>();
    path.add(start);
    return walk(start, fallbacks, path, new HashSet<>()) ? path : List.of();
  }

  /** Depth-first from the last alias of {@code path}; true, with the loop in {@code path}, when it comes back to the first. */
  private static boolean walk(String at, Function<String, List<String>> fallbacks, List<String> path, Set<String> seen) {
    for (String next : fallbacks.apply(at)) {
      path.add(next);
      if (next.equals(path.get(0))) {
        return true;
      }
      if (seen.add(next) && walk(next, fallbacks, path, seen)) {
        return true;
      }
      path.remove(path.size() - 1);
    }
    return false;
  }

  /** The refusal of a fallback loop found by {@link #cycle}. */
  public static RegistryException loop(String where, List<String> cycle) {
    return refused(where + ".fallbacks", "loop back to it: " + String.join(" -> ", cycle));
  }

  private static List<ModelDefinition.Target> targets(String where, List<RegistryFile.Target> entries) {
    if (entries == null || entries.isEmpty()) {
      throw bad(where, "needs at least one {provider, model}");
    }
    if (entries.size() > MAX_TARGETS) {
      throw bad(where, "may hold at most " + MAX_TARGETS + " targets");
    }
    List<ModelDefinition.Target> out = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      String at = where + "[" + i + "]";
      RegistryFile.Target t = entries.get(i);
      if (t == null) {
        throw bad(at, "is empty");
      }
      if (t.provider() == null || !ProviderEntries.NAME.matcher(t.provider()).matches()) {
        throw bad(at + ".provider", "must name a provider (1-128 letters, digits, '.', '_' or '-')");
      }
      if (t.model() == null || t.model().isBlank() || t.model().length() > 256 || t.model().chars().anyMatch(Character::isISOControl)) {
        throw bad(at + ".model", "must be the provider's model name: 1-256 characters, no control characters");
      }
      int weight = t.weight() == null ? 1 : t.weight();
      if (weight < 1 || weight > MAX_WEIGHT) {
        throw bad(at + ".weight", "must be a whole number between 1 and " + MAX_WEIGHT);
      }
      out.add(new ModelDefinition.Target(t.provider(), t.model(), weight));
    }
    return out;
  }

  private static List<String> fallbacks(String where, String self, List<String> entries) {
    if (entries == null) {
      return List.of();
    }
    if (entries.size() > MAX_FALLBACKS) {
      throw bad(where, "may hold at most " + MAX_FALLBACKS + " aliases");
    }
    Set<String> out = new LinkedHashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      String name = entries.get(i);
      if (name == null || !NAME.matcher(name).matches()) {
        throw bad(where + "[" + i + "]", "must name a model alias");
      }
      if (name.equals(self)) {
        throw bad(where + "[" + i + "]", "names the model itself");
      }
      if (!out.add(name)) {
        throw bad(where + "[" + i + "]", "names '" + name + "' twice");
      }
    }
    return List.copyOf(out);
  }

  /** A price per million tokens: 0 to {@link #MAX_PRICE}, at most 9 decimals, without trailing zeros. */
  private static BigDecimal price(String where, BigDecimal price) {
    if (price == null) {
      return null;
    }
    // Compared before anything else is done with it, so 1e999999999 costs nothing.
    if (price.signum() < 0 || price.compareTo(MAX_PRICE) > 0) {
      throw bad(where, "must be between 0 and " + MAX_PRICE.toPlainString() + " (per million tokens)");
    }
    BigDecimal p = price.stripTrailingZeros();
    if (p.scale() > MAX_PRICE_DECIMALS) {
      throw bad(where, "may have at most " + MAX_PRICE_DECIMALS + " decimal places");
    }
    return p.scale() < 0 ? p.setScale(0) : p;
  }

  private static Integer tokens(String where, Integer tokens) {
    if (tokens != null && (tokens < 1 || tokens > MAX_TOKENS)) {
      throw bad(where, "must be a whole number of tokens between 1 and " + MAX_TOKENS);
    }
    return tokens;
  }

  private static RegistryException refused(String where, String problem) {
    return new RegistryException("invalid_registry", where + ": " + problem);
  }
}
