package dev.gatehouse.frontend.core.face;

import io.dropwizard.core.setup.Environment;

/**
 * One way agents reach Gatehouse (the task API, MCP, and next the model gateway, A2A, the
 * console). The application installs each face with one call; a face registers its resources,
 * servlets, filters and managed objects, and uses nothing of another face.
 */
public interface Face {
  void install(FaceContext core, Environment env);
}
