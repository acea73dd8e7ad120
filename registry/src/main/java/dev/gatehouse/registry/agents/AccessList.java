package dev.gatehouse.registry.agents;

import java.util.List;

/**
 * Allow and deny patterns for one kind of target (tools, models or workflows). A pattern is a
 * name, or a name with {@code *} standing for any run of characters ({@code github.*}). Deny wins.
 */
public record AccessList(List<String> allow, List<String> deny) {
  public static final AccessList NONE = new AccessList(List.of(), List.of());
  public static final AccessList ALL = new AccessList(List.of("*"), List.of());

  public AccessList {
    allow = allow == null ? List.of() : List.copyOf(allow);
    deny = deny == null ? List.of() : List.copyOf(deny);
  }
}
