package dev.gatehouse.activities.mcp;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is told when an upstream server's discovered catalog changed (or the server was removed),
 * by the server's name. A listener that throws is logged and does not keep the others from
 * hearing of it.
 */
final class CatalogListeners {
  private static final Logger LOG = LoggerFactory.getLogger(CatalogListeners.class);
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

  void add(Consumer<String> listener) {
    listeners.add(listener);
  }

  void changed(String name) {
    for (Consumer<String> l : listeners) {
      try {
        l.accept(name);
      } catch (RuntimeException e) {
        LOG.warn("MCP catalog listener failed: {}", e.toString());
      }
    }
  }
}
