package dev.gatehouse.activities.model;

import dev.gatehouse.registry.models.ProviderDefinition;

/** The wire format of a model call: OpenAI chat completions or Anthropic Messages. */
public enum Dialect {
  OPENAI,
  ANTHROPIC;

  /** The dialect a provider of this registry type speaks. */
  public static Dialect ofProviderType(String type) {
    return ProviderDefinition.ANTHROPIC.equals(type) ? ANTHROPIC : OPENAI;
  }
}
