package dev.gatehouse.frontend.app.cli;

import dev.gatehouse.frontend.app.GatehouseConfiguration;
import dev.gatehouse.policies.data.PolicyCompiler;
import dev.gatehouse.registry.db.RegistryDatabase;
import dev.gatehouse.registry.yaml.RegistryApplier;
import dev.gatehouse.registry.yaml.RegistryChecker;
import dev.gatehouse.registry.yaml.RegistryExporter;
import dev.gatehouse.registry.yaml.RegistryParser;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import java.nio.file.Path;
import net.sourceforge.argparse4j.impl.Arguments;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code gatehouse registry apply FILE config.yml} applies a registry file idempotently;
 * {@code gatehouse registry export config.yml} prints the registry in the same format (no keys,
 * no secret values), so a platform team can keep its registry in git.
 */
public class RegistryCommand extends ConfiguredCommand<GatehouseConfiguration> {

  public RegistryCommand() {
    super("registry", "Registry tasks: 'registry apply FILE config.yml', 'registry export config.yml'");
  }

  @Override
  public void configure(Subparser subparser) {
    subparser.addArgument("action").choices("apply", "export").help("apply a registry file, or export the registry");
    subparser.addArgument("paths").nargs("+").help("apply: REGISTRY_FILE CONFIG; export: CONFIG");
    subparser.addArgument("--dry-run").action(Arguments.storeTrue()).dest("dryRun").help("apply: only check the file");
  }

  @Override
  public void run(Bootstrap<?> bootstrap, Namespace namespace) throws Exception {
    var paths = namespace.<String>getList("paths");
    String action = namespace.getString("action");
    int expected = action.equals("apply") ? 2 : 1;
    if (paths.size() != expected) {
      throw new IllegalArgumentException(
          action.equals("apply") ? "usage: gatehouse registry apply REGISTRY_FILE CONFIG" : "usage: gatehouse registry export CONFIG");
    }
    namespace.getAttrs().put("file", paths.get(paths.size() - 1));
    namespace.getAttrs().put("registry", action.equals("apply") ? paths.get(0) : null);
    super.run(bootstrap, namespace);
  }

  @Override
  protected void run(Bootstrap<GatehouseConfiguration> bootstrap, Namespace namespace, GatehouseConfiguration config)
      throws Exception {
    String registryFile = namespace.getString("registry");
    var parsed = registryFile == null ? null : parse(Path.of(registryFile));
    if (parsed != null && Boolean.TRUE.equals(namespace.getBoolean("dryRun"))) {
      System.out.printf(
          "%s is valid: %d tenant(s), %d tool(s), %d MCP server(s), %d virtual server(s)%n", registryFile,
          parsed.tenants().size(), parsed.allTools().size(), parsed.allMcpServers().size(), parsed.allVirtualServers().size());
      return;
    }
    CommandDatabase.use(bootstrap, config, "registry", (dataSource, jdbi) -> {
      if (config.isMigrateOnStart() && parsed != null) {
        RegistryDatabase.migrate(dataSource); // an export only reads (and its stdout is the file: no migration's log lines)
      }
      if (parsed != null) {
        RegistryApplier.ApplyResult r = RegistryApplier.apply(jdbi, parsed);
        System.out.printf(
            "applied %s: %d tenant(s), %d agent(s), %d identity provider(s), %d tool(s), %d MCP server(s), %d virtual server(s); %d change(s)%n",
            registryFile, r.tenants(), r.agents(), r.identityProviders(), r.tools(), r.mcpServers(), r.virtualServers(), r.changed());
      } else {
        System.out.print(RegistryExporter.toYaml(RegistryExporter.export(jdbi)));
      }
    });
  }

  private static dev.gatehouse.registry.yaml.Registry parse(Path file) throws java.io.IOException {
    byte[] bytes = BoundedFiles.read(file, BoundedFiles.MAX_REGISTRY_BYTES);
    return PolicyCompiler.checked(RegistryChecker.check(RegistryParser.parse(new java.io.ByteArrayInputStream(bytes))));
  }

  @Override
  protected Class<GatehouseConfiguration> getConfigurationClass() {
    return GatehouseConfiguration.class;
  }

  /** One line on stderr (a missing file, a bad registry or configuration), never a stack trace. */
  @Override
  public void onError(io.dropwizard.core.cli.Cli cli, Namespace namespace, Throwable e) {
    CommandExit.printOneLine(cli, "registry", e);
  }
}
