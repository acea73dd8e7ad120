package dev.gatehouse.frontend.app.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.util.concurrent.TimeUnit;

/** Where the Temporal frontend is and which namespace and task queue Gatehouse uses. */
public class TemporalConfig {
  /** host:port of the Temporal frontend (gRPC). */
  @NotBlank private String target = "127.0.0.1:7233";

  @NotBlank private String namespace = "default";

  @NotBlank private String taskQueue = "gatehouse";

  /**
   * Run Temporal's test server inside this process, bound to {@link #target} on loopback only
   * (port 0 picks a free one). For {@code dev} and tests; never for production.
   */
  private boolean embedded = false;

  /**
   * The embedded engine keeps at most this many closed workflows (the newest); older ones are
   * dropped from memory: their result is gone, their trace is read from Gatehouse's archive (or
   * answers {@code history_unavailable}), their task index rows stay. Without a bound a long dev
   * run grows with every task.
   */
  @Min(0)
  private int embeddedClosedWorkflows = 2_000;

  /**
   * The embedded engine keeps up to this many more closed workflows (the newest) beyond the two
   * bounds around it while their history is not archived in PostgreSQL yet, so a burst of tasks
   * does not lose its traces before the task sweeper has archived them. 0 keeps none.
   */
  @Min(0)
  private int embeddedHeldForArchive = 10_000;

  /** The embedded engine drops a closed workflow this long after it closed, whatever the count. */
  @NotNull
  @MinDuration(value = 1, unit = TimeUnit.SECONDS)
  private Duration embeddedClosedRetention = Duration.hours(1);

  @Valid @NotNull private TlsConfig tls = new TlsConfig();

  @JsonProperty
  public String getTarget() {
    return target;
  }

  @JsonProperty
  public void setTarget(String target) {
    this.target = target;
  }

  @JsonProperty
  public String getNamespace() {
    return namespace;
  }

  @JsonProperty
  public void setNamespace(String namespace) {
    this.namespace = namespace;
  }

  @JsonProperty
  public String getTaskQueue() {
    return taskQueue;
  }

  @JsonProperty
  public void setTaskQueue(String taskQueue) {
    this.taskQueue = taskQueue;
  }

  @JsonProperty
  public boolean isEmbedded() {
    return embedded;
  }

  @JsonProperty
  public void setEmbedded(boolean embedded) {
    this.embedded = embedded;
  }

  @JsonProperty
  public int getEmbeddedClosedWorkflows() {
    return embeddedClosedWorkflows;
  }

  @JsonProperty
  public void setEmbeddedClosedWorkflows(int embeddedClosedWorkflows) {
    this.embeddedClosedWorkflows = embeddedClosedWorkflows;
  }

  @JsonProperty
  public int getEmbeddedHeldForArchive() {
    return embeddedHeldForArchive;
  }

  @JsonProperty
  public void setEmbeddedHeldForArchive(int embeddedHeldForArchive) {
    this.embeddedHeldForArchive = embeddedHeldForArchive;
  }

  @JsonProperty
  public Duration getEmbeddedClosedRetention() {
    return embeddedClosedRetention;
  }

  @JsonProperty
  public void setEmbeddedClosedRetention(Duration embeddedClosedRetention) {
    this.embeddedClosedRetention = embeddedClosedRetention;
  }

  @JsonProperty
  public TlsConfig getTls() {
    return tls;
  }

  @JsonProperty
  public void setTls(TlsConfig tls) {
    this.tls = tls;
  }

  /** mTLS to the Temporal frontend (for instance Temporal Cloud): PEM files. */
  public static class TlsConfig {
    private boolean enabled = false;
    /** Client certificate chain (PEM); with {@link #privateKey} for mutual TLS. */
    private String certChain;
    /** Client private key (PKCS#8 PEM). */
    private String privateKey;
    /** CA bundle to trust instead of the JVM's (PEM); optional. */
    private String trustedCa;
    /** Server name to verify when it differs from the target's host; optional. */
    private String serverName;

    @JsonProperty
    public boolean isEnabled() {
      return enabled;
    }

    @JsonProperty
    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    @JsonProperty
    public String getCertChain() {
      return certChain;
    }

    @JsonProperty
    public void setCertChain(String certChain) {
      this.certChain = certChain;
    }

    @JsonProperty
    public String getPrivateKey() {
      return privateKey;
    }

    @JsonProperty
    public void setPrivateKey(String privateKey) {
      this.privateKey = privateKey;
    }

    @JsonProperty
    public String getTrustedCa() {
      return trustedCa;
    }

    @JsonProperty
    public void setTrustedCa(String trustedCa) {
      this.trustedCa = trustedCa;
    }

    @JsonProperty
    public String getServerName() {
      return serverName;
    }

    @JsonProperty
    public void setServerName(String serverName) {
      this.serverName = serverName;
    }
  }
}
