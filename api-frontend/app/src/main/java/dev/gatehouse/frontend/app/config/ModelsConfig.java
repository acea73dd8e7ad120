package dev.gatehouse.frontend.app.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.gatehouse.activities.model.ModelRoutingSettings;
import io.dropwizard.util.DataSize;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDataSize;
import io.dropwizard.validation.MinDataSize;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** How the model gateway routes around failing providers and bounds their answers. */
public class ModelsConfig {
  /** Failures in a row after which a provider is skipped for {@link #coolDown}. */
  @Min(1)
  @Max(1000)
  private int coolDownAfter = ModelRoutingSettings.DEFAULTS.coolDownAfter();

  @NotNull
  @MinDuration(value = 0, unit = TimeUnit.MILLISECONDS, inclusive = true)
  private Duration coolDown = Duration.seconds(ModelRoutingSettings.DEFAULTS.coolDown().toSeconds());

  /** The longest Retry-After a retry waits for; a provider asking for longer is left for the next target. */
  @NotNull
  @MinDuration(value = 0, unit = TimeUnit.MILLISECONDS, inclusive = true)
  private Duration maxRetryAfter = Duration.seconds(ModelRoutingSettings.DEFAULTS.maxRetryAfter().toSeconds());

  /** The largest non-streamed answer accepted from a provider. */
  @NotNull
  @MinDataSize(1024)
  @MaxDataSize(value = 1, unit = io.dropwizard.util.DataSizeUnit.GIBIBYTES)
  private DataSize maxResponse = DataSize.bytes(ModelRoutingSettings.DEFAULTS.maxResponseBytes());

  /** The largest single event of a provider's stream. */
  @NotNull
  @MinDataSize(1024)
  @MaxDataSize(value = 64, unit = io.dropwizard.util.DataSizeUnit.MEBIBYTES)
  private DataSize maxStreamEvent = DataSize.bytes(ModelRoutingSettings.DEFAULTS.maxStreamEventBytes());

  /** How long model and provider definitions are cached (a registry change takes up to this to be seen). */
  @NotNull
  @MinDuration(value = 0, unit = TimeUnit.MILLISECONDS, inclusive = true)
  private Duration cacheTtl = Duration.seconds(ModelRoutingSettings.DEFAULTS.cacheTtl().toSeconds());

  /**
   * How long one provider stream may last in all, whatever it sends (a provider that sends only
   * keep-alive comments is ended by its idle timeout; one that trickles events, by this).
   */
  @NotNull
  @MinDuration(value = 1, unit = TimeUnit.SECONDS)
  private Duration maxStreamDuration = Duration.seconds(ModelRoutingSettings.DEFAULT_MAX_STREAM_DURATION.toSeconds());

  /**
   * How long a client's stream may go without a write before it is sent a keep-alive comment
   * (while the provider is quiet: a model that thinks before it answers); {@code 0s}: never.
   */
  @NotNull
  @MinDuration(value = 0, unit = TimeUnit.MILLISECONDS, inclusive = true)
  private Duration streamKeepAlive = Duration.seconds(ModelRoutingSettings.DEFAULT_STREAM_KEEP_ALIVE.toSeconds());

  /**
   * The Anthropic betas ({@code anthropic-beta}) a caller of {@code /v1/messages} may have passed
   * on to an Anthropic provider; the others are dropped. The defaults change only how the model is
   * instructed and answers (Claude Code's among them); none lets Anthropic reach out on its own
   * (MCP connector, code execution, web fetch, Files API, server-side tools), none is billed at
   * prices a model's registry entry does not say (a 1M-token context, hour-long cache writes), and
   * none is for credentials other than Gatehouse's own key (OAuth).
   */
  @NotNull
  private List<@NotNull @jakarta.validation.constraints.Pattern(regexp = "[a-z0-9][a-z0-9._-]{0,63}") String> anthropicBetas =
      DEFAULT_ANTHROPIC_BETAS;

  public static final List<String> DEFAULT_ANTHROPIC_BETAS =
      List.of(
          "interleaved-thinking-2025-05-14",
          "fine-grained-tool-streaming-2025-05-14",
          "token-efficient-tools-2025-02-19",
          "output-128k-2025-02-19",
          "structured-outputs-2025-11-13",
          "context-management-2025-06-27",
          "effort-2025-11-24",
          // What Claude Code sends besides (as of 2.1.x) that changes how the model is instructed,
          // answers or reports usage: without its beta, a request using what one switches on (a
          // system message mid-conversation, say) is refused, or loses the feature.
          "claude-code-20250219",
          "mid-conversation-system-2026-04-07",
          "mid-conversation-tool-changes-2026-07-01",
          "per-turn-control-2026-07-01",
          "redact-thinking-2026-02-12",
          "thinking-token-count-2026-05-13",
          "prompt-caching-scope-2026-01-05",
          "structured-outputs-2025-12-15",
          "token-counting-2024-11-01");

  @JsonProperty
  public List<String> getAnthropicBetas() {
    return anthropicBetas;
  }

  @JsonProperty
  public void setAnthropicBetas(List<String> betas) {
    this.anthropicBetas = betas;
  }

  /**
   * The Anthropic server tools (a tool's {@code type} without its version date: {@code web_search},
   * {@code web_fetch}, {@code code_execution}, {@code mcp_toolset}) a caller of the Anthropic face
   * may give the model; others are refused. None by default: Anthropic runs them itself, reaching
   * out on the agent's behalf where Gatehouse does not govern it, at prices no registry entry says.
   */
  @NotNull
  private List<@NotNull @jakarta.validation.constraints.Pattern(regexp = "[a-z][a-z0-9_]{0,63}") String> anthropicServerTools = List.of();

  @JsonProperty
  public List<String> getAnthropicServerTools() {
    return anthropicServerTools;
  }

  @JsonProperty
  public void setAnthropicServerTools(List<String> tools) {
    this.anthropicServerTools = tools;
  }

  /**
   * The largest request body the model faces accept: a whole conversation, which outgrows {@code
   * limits.maxRequestBody} long before a model's context is full (Anthropic's own limit is 32 MB).
   */
  @NotNull
  @MinDataSize(1024)
  @MaxDataSize(value = 256, unit = io.dropwizard.util.DataSizeUnit.MEBIBYTES)
  private DataSize maxRequestBody = DataSize.mebibytes(32);

  /**
   * How many bytes of model request bodies larger than {@code limits.maxRequestBody} one replica
   * holds at once (each is read, parsed and copied, some times its size in heap, until its call
   * ends); past it, such a call is refused 429 {@code overloaded}. Null: an eighth of the heap.
   */
  @MinDataSize(1024)
  private DataSize maxLargeBodyBytes;

  @JsonProperty
  public DataSize getMaxRequestBody() {
    return maxRequestBody;
  }

  @JsonProperty
  public void setMaxRequestBody(DataSize size) {
    this.maxRequestBody = size;
  }

  @JsonProperty
  public DataSize getMaxLargeBodyBytes() {
    return maxLargeBodyBytes;
  }

  @JsonProperty
  public void setMaxLargeBodyBytes(DataSize size) {
    this.maxLargeBodyBytes = size;
  }

  /** {@link #maxLargeBodyBytes}, or an eighth of the heap this JVM may grow to. */
  public long largeBodyBytes() {
    return maxLargeBodyBytes != null ? maxLargeBodyBytes.toBytes() : Runtime.getRuntime().maxMemory() / 8;
  }

  public ModelRoutingSettings settings() {
    return new ModelRoutingSettings(
        coolDownAfter,
        coolDown.toJavaDuration(),
        maxRetryAfter.toJavaDuration(),
        (int) maxResponse.toBytes(),
        (int) maxStreamEvent.toBytes(),
        cacheTtl.toJavaDuration(),
        maxStreamDuration.toJavaDuration(),
        streamKeepAlive.toJavaDuration());
  }

  @JsonProperty
  public Duration getStreamKeepAlive() {
    return streamKeepAlive;
  }

  /** A keep-alive every few milliseconds would be a write per stream as often: none, or at least every 100 ms. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  @io.dropwizard.validation.ValidationMethod(message = "streamKeepAlive must be 0s (no keep-alives) or at least 100ms")
  public boolean isStreamKeepAliveSensible() {
    return streamKeepAlive == null || streamKeepAlive.toMilliseconds() == 0 || streamKeepAlive.toMilliseconds() >= 100;
  }

  @JsonProperty
  public void setStreamKeepAlive(Duration d) {
    this.streamKeepAlive = d;
  }

  @JsonProperty
  public Duration getMaxStreamDuration() {
    return maxStreamDuration;
  }

  @JsonProperty
  public void setMaxStreamDuration(Duration d) {
    this.maxStreamDuration = d;
  }

  @JsonProperty
  public int getCoolDownAfter() {
    return coolDownAfter;
  }

  @JsonProperty
  public void setCoolDownAfter(int n) {
    this.coolDownAfter = n;
  }

  @JsonProperty
  public Duration getCoolDown() {
    return coolDown;
  }

  @JsonProperty
  public void setCoolDown(Duration d) {
    this.coolDown = d;
  }

  @JsonProperty
  public Duration getMaxRetryAfter() {
    return maxRetryAfter;
  }

  @JsonProperty
  public void setMaxRetryAfter(Duration d) {
    this.maxRetryAfter = d;
  }

  @JsonProperty
  public DataSize getMaxResponse() {
    return maxResponse;
  }

  @JsonProperty
  public void setMaxResponse(DataSize s) {
    this.maxResponse = s;
  }

  @JsonProperty
  public DataSize getMaxStreamEvent() {
    return maxStreamEvent;
  }

  @JsonProperty
  public void setMaxStreamEvent(DataSize s) {
    this.maxStreamEvent = s;
  }

  @JsonProperty
  public Duration getCacheTtl() {
    return cacheTtl;
  }

  @JsonProperty
  public void setCacheTtl(Duration d) {
    this.cacheTtl = d;
  }
}
