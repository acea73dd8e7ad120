package dev.gatehouse.frontend.app.temporal;

import dev.gatehouse.workflows.spi.GatehouseWorkflow;
import dev.gatehouse.workflows.spi.TaskInput;
import io.temporal.common.metadata.POJOWorkflowImplMetadata;
import io.temporal.common.metadata.POJOWorkflowMethodMetadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the {@link GatehouseWorkflow}s a Gatehouse process offers, with {@link ServiceLoader}, and
 * checks them before anything runs: a name that is malformed, taken twice or reserved, a provider
 * that two jars list, or an implementation whose workflow method is named otherwise, stops the
 * process at start with a message that says which jar's which class is wrong.
 */
public final class WorkflowProviders {
  /** What {@link GatehouseWorkflow#name()} may be. */
  public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9._-]{0,63}");

  private WorkflowProviders() {}

  /**
   * A class loader over {@code paths} (jar files, or directories whose {@code *.jar} files, in
   * any case, are taken in name order) whose parent is {@code parent}; {@code parent} itself when
   * there are none. A path that does not exist, or a jar that does not open as one, is an error.
   */
  public static ClassLoader classLoader(List<Path> paths, ClassLoader parent) {
    List<URL> urls = new ArrayList<>();
    for (Path p : paths) {
      if (Files.isDirectory(p)) {
        try (Stream<Path> jars = Files.list(p)) {
          for (Path jar :
              jars.filter(j -> j.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".jar")).sorted().toList()) {
            urls.add(url(checkedJar(jar)));
          }
        } catch (IOException e) {
          throw new UncheckedIOException("cannot list workflow jars in " + p, e);
        }
      } else if (Files.isRegularFile(p)) {
        urls.add(url(checkedJar(p)));
      } else {
        throw new IllegalArgumentException("workflow jar " + p + " does not exist");
      }
    }
    return urls.isEmpty() ? parent : new URLClassLoader("gatehouse-workflows", urls.toArray(URL[]::new), parent);
  }

  /**
   * {@code p}, once it opens as a jar: a file that does not (cut short, or no jar at all) would be
   * skipped unseen by the class loader, and the workflows it was meant to hold run from another
   * jar, or not at all.
   */
  private static Path checkedJar(Path p) {
    try (JarFile jar = new JarFile(p.toFile())) {
      return p;
    } catch (IOException e) {
      throw new IllegalArgumentException("workflow jar " + p + " is not a jar file (or is damaged)");
    }
  }

  private static URL url(Path p) {
    try {
      return p.toAbsolutePath().toUri().toURL();
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("workflow jar " + p + ": " + e.getMessage(), e);
    }
  }

  /**
   * Every {@link GatehouseWorkflow} {@code loader} finds, checked, sorted by name. {@code reserved}
   * are workflow types the process runs for its own use (not as tasks) that no provider may take.
   */
  public static List<GatehouseWorkflow> load(ClassLoader loader, Set<String> reserved) {
    listedOnce(loader);
    Map<String, GatehouseWorkflow> byName = new LinkedHashMap<>();
    try {
      for (GatehouseWorkflow w : ServiceLoader.load(GatehouseWorkflow.class, loader)) {
        check(w, reserved);
        GatehouseWorkflow earlier = byName.putIfAbsent(w.name(), w);
        if (earlier != null) {
          throw new IllegalStateException(
              "workflow '" + w.name() + "' is registered twice: by " + where(earlier) + " and by " + where(w));
        }
      }
    } catch (ServiceConfigurationError e) {
      throw new IllegalStateException("a workflow provider cannot be loaded: " + e.getMessage(), e);
    }
    return byName.values().stream().sorted(Comparator.comparing(GatehouseWorkflow::name)).toList();
  }

  /**
   * Refuses a provider class that two jars list: {@link ServiceLoader} takes it once, from the
   * first jar, and the class loader loads its classes from there too, so two versions of a team's
   * jar left in one directory ran the older one's code (taken in name order: {@code 0.10.0} before
   * {@code 0.9.0}) with no word of the other.
   */
  private static void listedOnce(ClassLoader loader) {
    Map<String, URL> listedBy = new HashMap<>();
    try {
      for (URL services : Collections.list(loader.getResources(SERVICES))) {
        for (String provider : providersIn(services)) {
          URL earlier = listedBy.putIfAbsent(provider, services);
          if (earlier != null && !earlier.equals(services)) {
            throw new IllegalStateException(
                "workflow provider " + provider + " is in two jars, " + jarOf(earlier) + " and " + jarOf(services)
                    + " (two versions of one jar?): keep one of them");
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the workflow providers' lists", e);
    }
  }

  private static final String SERVICES = "META-INF/services/" + GatehouseWorkflow.class.getName();

  /** The class names a service file lists (as {@link ServiceLoader} reads it: one a line, {@code #} starts a comment). */
  private static List<String> providersIn(URL services) throws IOException {
    List<String> names = new ArrayList<>();
    try (var in = services.openStream()) {
      for (String line : new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8).split("\n")) {
        int comment = line.indexOf('#');
        String name = (comment >= 0 ? line.substring(0, comment) : line).trim();
        if (!name.isEmpty()) {
          names.add(name);
        }
      }
    }
    return names;
  }

  /** The jar (or directory) a resource's URL is in. */
  private static String jarOf(URL resource) {
    String s = resource.toString();
    int bang = s.indexOf("!/");
    s = bang >= 0 ? s.substring(0, bang) : s.substring(0, s.length() - SERVICES.length());
    return s.startsWith("jar:") ? s.substring(4) : s;
  }

  /** The workflow method of {@code w}'s implementation (whose type is {@code w.name()}). */
  public static Method workflowMethod(GatehouseWorkflow w) {
    POJOWorkflowImplMetadata meta;
    try {
      meta = POJOWorkflowImplMetadata.newInstance(w.implementation());
    } catch (RuntimeException e) {
      throw new IllegalStateException(where(w) + ": " + w.implementation().getName() + " is not a workflow implementation: " + e.getMessage(), e);
    }
    List<POJOWorkflowMethodMetadata> methods = meta.getWorkflowMethods();
    return methods.stream()
        .filter(m -> m.getName().equals(w.name()))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    where(w) + ": the workflow method of " + w.implementation().getName() + " is named "
                        + methods.stream().map(POJOWorkflowMethodMetadata::getName).toList()
                        + ", not '" + w.name() + "' (set @WorkflowMethod(name = \"" + w.name() + "\"))"))
        .getWorkflowMethod();
  }

  /**
   * Whether {@code w}'s workflow method takes one {@link TaskInput}, as every workflow but the
   * built-in ones must (the front end starts it with one).
   */
  public static boolean takesTaskInput(GatehouseWorkflow w) {
    Class<?>[] params = workflowMethod(w).getParameterTypes();
    return params.length == 1 && params[0] == TaskInput.class;
  }

  private static void check(GatehouseWorkflow w, Set<String> reserved) {
    String name = w.name();
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalStateException(
          where(w) + ": workflow name '" + name + "' is not 1 to 64 lower-case letters, digits, '.', '_' or '-' starting with a letter");
    }
    if (reserved.contains(name)) {
      throw new IllegalStateException(where(w) + ": workflow name '" + name + "' is reserved by Gatehouse");
    }
    Class<?> impl = w.implementation();
    if (impl == null || impl.isInterface() || Modifier.isAbstract(impl.getModifiers()) || !Modifier.isPublic(impl.getModifiers())) {
      throw new IllegalStateException(where(w) + ": implementation() must be a public, concrete workflow class");
    }
    workflowMethod(w);
    for (String t : w.tools()) {
      if (t == null || t.isBlank()) {
        throw new IllegalStateException(where(w) + ": tools() holds a blank name");
      }
    }
    for (String m : w.models()) {
      if (m == null || m.isBlank()) {
        throw new IllegalStateException(where(w) + ": models() holds a blank name");
      }
    }
    if (w.approvalTimeout() == null || w.approvalTimeout().isNegative() || w.approvalTimeout().isZero()) {
      throw new IllegalStateException(where(w) + ": approvalTimeout() must be positive");
    }
  }

  private static String where(GatehouseWorkflow w) {
    var source = w.getClass().getProtectionDomain().getCodeSource();
    return w.getClass().getName() + (source == null || source.getLocation() == null ? "" : " (" + source.getLocation() + ")");
  }
}
