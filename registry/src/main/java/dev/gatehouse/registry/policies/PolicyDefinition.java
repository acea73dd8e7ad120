package dev.gatehouse.registry.policies;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * A policy as data: a registry entry of one {@code kind} ({@code rate-limit}, {@code budget},
 * {@code pii} or {@code guardrail}) with the settings of that kind, owned by a tenant (or global,
 * {@code tenantId} null: every tenant's calls), and narrowed by {@code appliesTo} to some agents,
 * tool patterns or model aliases. {@code version} starts at 1 and goes up by one with every change
 * to the entry; every decision the policy makes names it as {@link #ref()} ({@code name@version}),
 * in audit rows, traces and approvals. Checked by the registry's {@code PolicyEntries}, compiled
 * into policies by the {@code policies} module.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolicyDefinition(
    String name,
    String tenantId,
    String kind,
    AppliesTo appliesTo,
    RateLimit rateLimit,
    Budget budget,
    Pii pii,
    Guardrail guardrail,
    Integer version) {

  public static final String RATE_LIMIT = "rate-limit";
  public static final String BUDGET = "budget";
  public static final String PII = "pii";
  public static final String GUARDRAIL = "guardrail";
  public static final List<String> KINDS = List.of(RATE_LIMIT, BUDGET, PII, GUARDRAIL);

  /**
   * Which calls the policy governs. {@code agents}: agent names (none: every agent of the owner).
   * {@code tools} and {@code models}: gateway tool names or patterns ({@code crm.*}) and model
   * aliases or patterns. Neither: every tool and model call; only {@code tools}: only those tool
   * calls; only {@code models}: only those model calls; both: either.
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record AppliesTo(List<String> agents, List<String> tools, List<String> models) {
    public AppliesTo {
      agents = agents == null ? List.of() : List.copyOf(agents);
      tools = tools == null ? List.of() : List.copyOf(tools);
      models = models == null ? List.of() : List.copyOf(models);
    }
  }

  /**
   * Requests per minute and (model calls) tokens per minute, counted per {@code agent} (the
   * default), per {@code tenant}, or per {@code target} (each tool or model its own count,
   * whichever agent calls it), across every replica.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RateLimit(Integer requestsPerMinute, Integer tokensPerMinute, String per) {}

  /**
   * At most {@code tokens} model tokens and {@code cost} (in the models' price currency) per
   * {@code period} ({@code day}, {@code month} (UTC) or {@code fixed}: never reset), counted per
   * {@code agent} (the default) or per {@code tenant}.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Budget(Long tokens, BigDecimal cost, String period, String per) {}

  /**
   * Personal data and credentials: {@code action} {@code redact} (typed masks such as {@code
   * [EMAIL]}), {@code block} ({@code pii_detected}, nothing sent) or {@code record} (findings
   * recorded only); {@code detectors}: built-in kinds ({@code email}, {@code phone}, {@code card},
   * {@code iban}, {@code ssn}, {@code ip}, {@code credential}; none listed: all); {@code custom}:
   * named patterns; {@code on}: where it applies ({@code tool-arguments}, {@code tool-results},
   * {@code model-requests}, {@code model-answers}; none listed: all four).
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Pii(String action, List<String> detectors, List<CustomPattern> custom, List<String> on) {}

  /** A custom detector: matches of {@code pattern} are masked as {@code [NAME]}. */
  public record CustomPattern(String name, String pattern) {}

  /**
   * Guardrails on tool and MCP results (before a model or an agent reads them) and on model
   * requests. {@code checks}: {@code prompt-injection}, {@code hidden-unicode}, {@code
   * exfil-link}, {@code deny-pattern}, {@code size} (none listed: all); {@code actions}: per check,
   * {@code block}, {@code redact} or {@code flag}; {@code allowedLinkHosts}; {@code denyPatterns};
   * {@code maxResultChars} and {@code maxPromptChars}.
   */
  @JsonInclude(JsonInclude.Include.NON_EMPTY)
  public record Guardrail(
      List<String> checks,
      Map<String, String> actions,
      List<String> allowedLinkHosts,
      List<String> denyPatterns,
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer maxResultChars,
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer maxPromptChars) {}

  /** How decisions name this policy: {@code name@version}. */
  public String ref() {
    return name + "@" + (version == null ? 0 : version);
  }

  public PolicyDefinition withTenant(String tenant) {
    return new PolicyDefinition(name, tenant, kind, appliesTo, rateLimit, budget, pii, guardrail, version);
  }

  public PolicyDefinition withVersion(Integer v) {
    return new PolicyDefinition(name, tenantId, kind, appliesTo, rateLimit, budget, pii, guardrail, v);
  }
}
