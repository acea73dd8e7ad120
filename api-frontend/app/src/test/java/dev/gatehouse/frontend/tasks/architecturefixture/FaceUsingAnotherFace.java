package dev.gatehouse.frontend.tasks.architecturefixture;

import dev.gatehouse.frontend.mcp.McpFace;

/** A face class that uses another face: what FrontendArchitectureTest must refuse (test sources only). */
public final class FaceUsingAnotherFace {
  public Class<?> other() {
    return McpFace.class;
  }
}
