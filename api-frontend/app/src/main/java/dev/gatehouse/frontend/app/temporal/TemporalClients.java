package dev.gatehouse.frontend.app.temporal;

import dev.gatehouse.frontend.app.config.TemporalConfig;
import io.dropwizard.lifecycle.Managed;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.SimpleSslContextBuilder;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;

/** The gRPC connection to Temporal and the workflow client on it; closed on shutdown. */
public final class TemporalClients implements Managed {
  private final WorkflowServiceStubs stubs;
  private final WorkflowClient client;

  private TemporalClients(WorkflowServiceStubs stubs, WorkflowClient client) {
    this.stubs = stubs;
    this.client = client;
  }

  /** Connects lazily: nothing is dialled until the first call. */
  public static TemporalClients connect(String target, TemporalConfig config) {
    WorkflowServiceStubsOptions.Builder options = WorkflowServiceStubsOptions.newBuilder().setTarget(target);
    if (config.getTls().isEnabled()) {
      options.setSslContext(sslContext(config.getTls()));
      if (config.getTls().getServerName() != null) {
        options.setChannelInitializer(b -> b.overrideAuthority(config.getTls().getServerName()));
      }
    }
    return on(WorkflowServiceStubs.newServiceStubs(options.build()), config);
  }

  /**
   * The client for the engine embedded in this process, over its in-process channel (the channel
   * belongs to the engine and is closed with it).
   */
  public static TemporalClients inProcess(ManagedChannel channel, TemporalConfig config) {
    return on(
        WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setChannel(channel).build()),
        config);
  }

  private static TemporalClients on(WorkflowServiceStubs stubs, TemporalConfig config) {
    WorkflowClient client =
        WorkflowClient.newInstance(
            stubs, WorkflowClientOptions.newBuilder().setNamespace(config.getNamespace()).build());
    return new TemporalClients(stubs, client);
  }

  private static SslContext sslContext(TemporalConfig.TlsConfig tls) {
    try {
      SimpleSslContextBuilder builder;
      if (tls.getCertChain() != null && tls.getPrivateKey() != null) {
        try (InputStream cert = new FileInputStream(tls.getCertChain());
            InputStream key = new FileInputStream(tls.getPrivateKey())) {
          builder = SimpleSslContextBuilder.forPKCS8(cert, key);
        }
      } else {
        builder = SimpleSslContextBuilder.noKeyOrCertChain();
      }
      if (tls.getTrustedCa() != null) {
        try (InputStream ca = new FileInputStream(tls.getTrustedCa())) {
          builder = builder.setTrustManager(TrustManagers.fromPem(ca));
        }
      }
      return builder.build();
    } catch (java.io.FileNotFoundException e) {
      throw new dev.gatehouse.frontend.app.cli.CommandExit(1, "temporal.tls: cannot read " + e.getMessage());
    } catch (IOException e) {
      throw new dev.gatehouse.frontend.app.cli.CommandExit(
          1, "temporal.tls: cannot read the certificate, key or CA files (" + dev.gatehouse.frontend.app.cli.McpProbeCommand.describe(e) + ")");
    }
  }

  public WorkflowServiceStubs stubs() {
    return stubs;
  }

  public WorkflowClient client() {
    return client;
  }

  @Override
  public void stop() {
    stubs.shutdown();
    stubs.awaitTermination(5, TimeUnit.SECONDS);
  }
}
