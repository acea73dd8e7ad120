package dev.gatehouse.activities.mcp;

import dev.gatehouse.activities.sse.SseParser;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCMessage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The stdio transport to an MCP server Gatehouse runs as a child process: newline-delimited
 * JSON-RPC messages on the child's stdin and stdout, its stderr logged at debug (scrubbed of the
 * secrets in its environment). The child starts
 * from an empty environment plus what {@code params} holds (the entry's declared variables and
 * the SDK's safe set), in {@code workingDir} if one is given.
 *
 * <p>In place of the MCP Java SDK's {@code StdioClientTransport} (mcp-core 2.1.0), which stops
 * reading the child's stdout at the first line that is not a JSON-RPC message, after logging the
 * whole line at ERROR: every later answer of the child was lost, each call waited out its timeout
 * while the process lived on, and whatever the line held (a server printing its configuration, its
 * credentials) was in the operator's log. MCP forbids a server to write anything else to stdout,
 * yet servers that print a banner or a debug line there are common; the TypeScript and Python SDKs
 * skip such lines. Here too: a line that is not a message, or is longer than {@link
 * #MAX_LINE_BYTES}, is skipped, and a warning names the server and the line's size, never its
 * content (at the 1st, 2nd, 4th, 8th... such line of the process).
 */
final class StdioTransport implements McpClientTransport {
  private static final Logger LOG = LoggerFactory.getLogger(StdioTransport.class);
  /** The longest line read from the child's stdout: as long as a Streamable HTTP server's message. */
  static final int MAX_LINE_BYTES = SseParser.DEFAULT_MAX_EVENT_BYTES;
  /** The longest stderr line logged whole. */
  static final int MAX_STDERR_LINE_BYTES = 8192;
  /** How long a message sent before the child has started waits for it. */
  private static final long START_WAIT_SECONDS = 30;

  private final ServerParameters params;
  private final String workingDir;
  private final String name;
  private final Runnable exited;
  private final int maxLineBytes;
  private final java.util.function.UnaryOperator<String> redact;
  private final McpJsonMapper json = McpJson.MAPPER;
  private final Sinks.Many<JSONRPCMessage> inbound = Sinks.many().unicast().onBackpressureBuffer();
  /** Writes to the child's stdin, which block while it does not read: never on a caller's thread. */
  private final Scheduler writer;
  private final AtomicLong skipped = new AtomicLong();
  /** The child, once started: what is sent before then waits for it (the SDK sends at once). */
  private final CompletableFuture<Process> started = new CompletableFuture<>();
  /** The child once started; read and written under this transport's lock. */
  private Process process;
  private volatile boolean closing;

  /**
   * {@code exited} runs once the child has exited (not when this transport closed it); {@code
   * redact} scrubs a line of its stderr before it is logged of the secrets Gatehouse gave the child
   * in its environment, which a server may well print (a token it was refused with).
   */
  StdioTransport(ServerParameters params, String workingDir, String name, Runnable exited, java.util.function.UnaryOperator<String> redact) {
    this(params, workingDir, name, exited, MAX_LINE_BYTES, redact);
  }

  StdioTransport(ServerParameters params, String workingDir, String name, Runnable exited) {
    this(params, workingDir, name, exited, MAX_LINE_BYTES, text -> text);
  }

  StdioTransport(
      ServerParameters params, String workingDir, String name, Runnable exited, int maxLineBytes, java.util.function.UnaryOperator<String> redact) {
    this.params = params;
    this.workingDir = workingDir;
    this.name = name;
    this.exited = exited;
    this.maxLineBytes = maxLineBytes;
    this.redact = redact;
    this.writer = Schedulers.newSingle("mcp-stdio-" + name + "-in", true);
  }

  @Override
  public Mono<Void> connect(Function<Mono<JSONRPCMessage>, Mono<JSONRPCMessage>> handler) {
    return Mono.<Void>fromRunnable(() -> {
          inbound.asFlux().flatMap(m -> Mono.just(m).transform(handler).onErrorResume(e -> Mono.empty())).subscribe();
          List<String> command = new ArrayList<>();
          command.add(params.getCommand());
          command.addAll(params.getArgs());
          ProcessBuilder builder = new ProcessBuilder(command);
          builder.environment().clear();
          builder.environment().putAll(params.getEnv());
          if (workingDir != null && !workingDir.isBlank()) {
            builder.directory(new File(workingDir));
          }
          Process p;
          // Under the lock a close takes too: a close that came first (the client gave up) leaves
          // no process behind, and one that comes after finds the process to end.
          synchronized (this) {
            if (closing) {
              throw new IllegalStateException("the transport was closed before the server's process started");
            }
            try {
              p = builder.start();
            } catch (IOException e) {
              IllegalStateException failed = new IllegalStateException("the server's process could not be started: " + e.getMessage(), e);
              started.completeExceptionally(failed);
              throw failed;
            }
            process = p;
          }
          started.complete(p);
          daemon("mcp-stdio-" + name + "-out", () -> readMessages(p.getInputStream()));
          daemon("mcp-stdio-" + name + "-err", () -> readErrors(p.getErrorStream()));
          daemon("mcp-stdio-" + name, () -> {
            try {
              p.waitFor();
            } catch (InterruptedException e) {
              return;
            }
            if (!closing && exited != null) {
              exited.run();
            }
          });
        })
        .subscribeOn(Schedulers.boundedElastic());
  }

  private static void daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
  }

  private void readMessages(InputStream stdout) {
    try (stdout) {
      Lines lines = new Lines(stdout, maxLineBytes);
      for (Lines.Line line = lines.next(); line != null && !closing; line = lines.next()) {
        if (line.text() == null) {
          skipped(line.bytes(), "longer than " + maxLineBytes + " bytes");
          continue;
        }
        if (line.text().isBlank()) {
          continue;
        }
        JSONRPCMessage message;
        try {
          message = McpSchema.deserializeJsonRpcMessage(json, line.text());
        } catch (Exception e) {
          skipped(line.bytes(), "not a JSON-RPC message");
          continue;
        }
        if (!inbound.tryEmitNext(message).isSuccess()) {
          break; // closed
        }
      }
    } catch (IOException e) {
      if (!closing) {
        LOG.debug("MCP server {}: its stdout could not be read: {}", name, e.toString());
      }
    } finally {
      inbound.tryEmitComplete();
    }
  }

  private void skipped(long bytes, String why) {
    long n = skipped.incrementAndGet();
    if (Long.bitCount(n) == 1) {
      LOG.warn(
          "MCP server {} wrote a line of {} bytes to stdout that is {}: skipped ({} such lines so far); an MCP server must write only"
              + " its messages there, and its logs to stderr",
          name, bytes, why, n);
    }
  }

  private void readErrors(InputStream stderr) {
    try (stderr) {
      Lines lines = new Lines(stderr, MAX_STDERR_LINE_BYTES);
      for (Lines.Line line = lines.next(); line != null; line = lines.next()) {
        if (LOG.isDebugEnabled()) {
          LOG.debug("MCP server {} (stderr): {}", name, line.text() == null ? "(a line of " + line.bytes() + " bytes)" : redact.apply(line.text()));
        }
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  @Override
  public Mono<Void> sendMessage(JSONRPCMessage message) {
    return Mono.<Void>fromRunnable(() -> write(message)).subscribeOn(writer);
  }

  private void write(JSONRPCMessage message) {
    Process p;
    try {
      p = started.get(START_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("the server's process is not running", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the server's process is not running", e);
    }
    if (closing) {
      throw new IllegalStateException("the server's process is not running");
    }
    try {
      // Compact JSON has no raw line break: control characters in strings are escaped.
      byte[] line = json.writeValueAsString(message).getBytes(StandardCharsets.UTF_8);
      OutputStream in = p.getOutputStream();
      in.write(line);
      in.write('\n');
      in.flush();
    } catch (IOException e) {
      throw new IllegalStateException("the server's process does not read its input: " + e.getMessage(), e);
    }
  }

  @Override
  public Mono<Void> closeGracefully() {
    return Mono.<Void>fromRunnable(() -> {
          Process p;
          synchronized (this) {
            closing = true;
            p = process;
          }
          started.completeExceptionally(new IllegalStateException("closed"));
          inbound.tryEmitComplete();
          if (p != null) {
            try {
              p.getOutputStream().close();
            } catch (IOException e) {
              // gone already
            }
            // What it started too (npx starts node): they would outlive it otherwise.
            List<ProcessHandle> children = p.descendants().toList();
            p.destroy();
            children.forEach(ProcessHandle::destroy);
            try {
              if (!p.waitFor(2, TimeUnit.SECONDS)) {
                p.destroyForcibly();
              }
            } catch (InterruptedException e) {
              p.destroyForcibly();
              Thread.currentThread().interrupt();
            }
            children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
          }
          writer.dispose();
        })
        .subscribeOn(Schedulers.boundedElastic());
  }

  @Override
  public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
    return json.convertValue(data, typeRef);
  }

  /** Lines of a stream, each at most {@code max} bytes; a longer one is read to its end and dropped. */
  static final class Lines {
    /** A line's text, or null when it was longer than allowed; {@code bytes} is its length in bytes. */
    record Line(String text, long bytes) {}

    private static final int KEPT_BUFFER_BYTES = 64 * 1024;

    private final InputStream in;
    private final int max;
    private final byte[] chunk = new byte[8192];
    private ByteArrayOutputStream line = new ByteArrayOutputStream();
    private int pos;
    private int end;
    private long length;
    private boolean eof;

    Lines(InputStream in, int max) {
      this.in = in;
      this.max = max;
    }

    /** The next line, without its line break; null at the end of the stream. */
    Line next() throws IOException {
      while (true) {
        if (pos == end) {
          if (eof) {
            return null;
          }
          int n = in.read(chunk);
          pos = 0;
          end = Math.max(n, 0);
          if (n < 0) {
            eof = true;
            return length > 0 ? finish() : null;
          }
          continue;
        }
        int newline = -1;
        for (int i = pos; i < end; i++) {
          if (chunk[i] == '\n') {
            newline = i;
            break;
          }
        }
        int stop = newline < 0 ? end : newline;
        int n = stop - pos;
        if (length + n <= max) {
          line.write(chunk, pos, n);
        } else {
          line.reset(); // too long: only counted from here on
        }
        length += n;
        pos = newline < 0 ? end : newline + 1;
        if (newline >= 0) {
          return finish();
        }
      }
    }

    private Line finish() {
      long bytes = length;
      String text = null;
      if (bytes <= max) {
        byte[] b = line.toByteArray();
        int n = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
        text = new String(b, 0, n, StandardCharsets.UTF_8);
      }
      // A large line's buffer is not kept for the life of the process.
      line = bytes > KEPT_BUFFER_BYTES ? new ByteArrayOutputStream() : line;
      line.reset();
      length = 0;
      return new Line(text, bytes);
    }
  }
}
