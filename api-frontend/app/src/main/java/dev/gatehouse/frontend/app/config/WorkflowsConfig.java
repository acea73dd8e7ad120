package dev.gatehouse.frontend.app.config;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Teams' workflows (written against the SPI in {@code dev.gatehouse.workflows.spi}) that this
 * process offers and runs, beyond those on its class path: jar files, or directories whose {@code
 * *.jar} files are all taken. The server that takes tasks and every worker that runs them need the
 * same list.
 */
public class WorkflowsConfig {
  @NotNull
  @Size(max = 100)
  private List<String> jars = new ArrayList<>();

  public List<String> getJars() {
    return jars;
  }

  public void setJars(List<String> jars) {
    this.jars = jars == null ? new ArrayList<>() : jars;
  }

  public List<Path> paths() {
    return jars.stream().map(Path::of).toList();
  }
}
