package dev.gatehouse.frontend.core.http;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * Closes the connection of a client that reads its answer slower than {@code
 * limits.minResponseRate}. A thread writing an answer waits for the client to take it; the
 * connector's idle timeout ends a write that makes no progress at all, but a client that takes a
 * few bytes within each timeout would hold the thread (and, on the model faces, the answer's
 * megabytes) for as long as it liked, uncounted by admission, whose slot comes back before the
 * answer is written.
 *
 * <p>Wraps the server's whole handler chain (every write of either port passes it, whatever wrote
 * it: a servlet's stream or writer, on the request's thread or another, Jetty's error pages) and
 * counts only the writes that waited for the client: an answer is behind when, after more than
 * {@link #GRACE} of such waiting, those writes have taken fewer bytes than the rate times that
 * waiting less the grace, as {@link SlowBodyFilter} counts a request body. A write that the
 * socket's buffers took at once (its end came before the write returned) counts for nothing: the
 * kernel takes up to megabytes of an answer that way, and counting them as read would give a
 * client that reads nothing that many bytes' worth of time. A write larger than {@link #SLICE}
 * goes out in slices of that size, so a write that is behind is seen while it waits, not only when
 * it ends: a watchdog looks every {@link #TICK}. A client reading at its own pace, or a stream that
 * writes now and then, is never cut off.
 */
public final class SlowReaders extends Handler.Wrapper {
  /** How long writes may wait for the client before the rate applies. */
  public static final Duration GRACE = Duration.ofSeconds(2);
  /** The largest write passed on at once. */
  static final int SLICE = 16 * 1024;
  /** How often the watchdog looks at the writes that are waiting. */
  static final Duration TICK = Duration.ofMillis(250);

  private static final AtomicIntegerFieldUpdater<Metered> CUT = AtomicIntegerFieldUpdater.newUpdater(Metered.class, "cut");

  private final long bytesPerSecond;
  private final long graceNanos;
  private final Runnable onCutOff;
  /** The answers with a write in progress. */
  private final Set<Metered> writing = ConcurrentHashMap.newKeySet();
  private ScheduledExecutorService watchdog;

  /** {@code onCutOff} runs once for each connection closed (a metric). */
  public SlowReaders(Handler handler, long bytesPerSecond, Runnable onCutOff) {
    this(handler, bytesPerSecond, GRACE, onCutOff);
  }

  SlowReaders(Handler handler, long bytesPerSecond, Duration grace, Runnable onCutOff) {
    super(handler);
    if (bytesPerSecond <= 0) {
      throw new IllegalArgumentException("a rate of at least one byte a second");
    }
    this.bytesPerSecond = bytesPerSecond;
    this.graceNanos = grace.toNanos();
    this.onCutOff = onCutOff;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    return super.handle(request, new Metered(request, response), callback);
  }

  @Override
  protected void doStart() throws Exception {
    watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "gatehouse-slow-readers");
              t.setDaemon(true);
              return t;
            });
    long tick = TICK.toMillis();
    watchdog.scheduleWithFixedDelay(this::look, tick, tick, TimeUnit.MILLISECONDS);
    super.doStart();
  }

  @Override
  protected void doStop() throws Exception {
    super.doStop();
    watchdog.shutdownNow();
  }

  /** Cuts off every answer whose write in progress is behind. */
  private void look() {
    long now = System.nanoTime();
    for (Metered m : writing) {
      if (m.behind(now)) {
        m.cutOff();
      }
    }
  }

  /** How long {@code bytes} may take at the rate, in nanoseconds (saturating: a long stream's total does not overflow). */
  private long nanosFor(long bytes) {
    double nanos = (double) bytes / bytesPerSecond * 1e9;
    return nanos >= Long.MAX_VALUE / 4 ? Long.MAX_VALUE / 4 : (long) nanos;
  }

  /**
   * One answer's writes, timed. Jetty lets a response have one write in progress at a time, so the
   * counts are touched by one write after another (on whichever thread completes it); the
   * watchdog reads only the volatile deadline and whether a write is in progress.
   */
  private final class Metered extends Response.Wrapper {
    /** 1 once the connection is closed. */
    private volatile int cut;
    /** Time writes have waited, and bytes they took, so far. */
    private long waitedNanos;
    private long bytes;
    /** When the write in progress will be behind; meaningful while {@link #inProgress}. */
    private volatile long deadline;
    private volatile boolean inProgress;

    Metered(Request request, Response wrapped) {
      super(request, wrapped);
    }

    @Override
    public void write(boolean last, ByteBuffer content, Callback callback) {
      if (content != null && content.remaining() > SLICE) {
        new Slices(last, content, callback).iterate();
      } else {
        timed(last, content, callback);
      }
    }

    /** Passes one write on, its waiting counted. */
    private void timed(boolean last, ByteBuffer content, Callback callback) {
      int n = content == null ? 0 : content.remaining();
      long start = System.nanoTime();
      deadline = start + graceNanos - waitedNanos + nanosFor(bytes + n);
      inProgress = true;
      Write write = new Write(start, n, callback);
      getWrapped().write(last, content, write);
      write.returned = true;
      if (!write.ended) {
        // It waits for the client: the watchdog looks at it from now on. Should it have ended
        // meanwhile, its end may have come before this, so it is taken out again here.
        writing.add(this);
        if (write.ended) {
          writing.remove(this);
        }
      }
    }

    /** One write's end: counted when it came after the write had returned, that is when it waited for the client. */
    private final class Write implements Callback {
      private final long start;
      private final int n;
      private final Callback callback;
      /** Set once the write has returned: a write that ends before it went into the socket's buffers at once. */
      volatile boolean returned;
      /** Set once the write has ended. */
      volatile boolean ended;

      Write(long start, int n, Callback callback) {
        this.start = start;
        this.n = n;
        this.callback = callback;
      }

      @Override
      public void succeeded() {
        long end = ended();
        if (returned && end - deadline > 0) {
          // It went, but later than the rate allows: the answer is behind.
          cutOff();
          callback.failed(slow());
        } else {
          callback.succeeded();
        }
      }

      @Override
      public void failed(Throwable x) {
        ended();
        callback.failed(x);
      }

      @Override
      public InvocationType getInvocationType() {
        return callback.getInvocationType();
      }

      private long ended() {
        long end = System.nanoTime();
        inProgress = false;
        ended = true;
        if (returned) {
          writing.remove(Metered.this);
          waitedNanos += end - start;
          bytes += n;
        }
        return end;
      }
    }

    boolean behind(long now) {
      return inProgress && now - deadline > 0;
    }

    /** Closes the connection: the write in progress fails, and its thread is free. */
    void cutOff() {
      if (CUT.compareAndSet(this, 0, 1)) {
        onCutOff.run();
        getRequest().getConnectionMetaData().getConnection().getEndPoint().close(slow());
      }
    }

    private TimeoutException slow() {
      return new TimeoutException("the client read the answer slower than " + bytesPerSecond + " bytes/s");
    }

    /** A large write as slices of {@link #SLICE}, one after another. */
    private final class Slices extends IteratingCallback {
      private final boolean last;
      private final ByteBuffer content;
      private final Callback callback;

      Slices(boolean last, ByteBuffer content, Callback callback) {
        this.last = last;
        this.content = content;
        this.callback = callback;
      }

      @Override
      protected Action process() {
        if (!content.hasRemaining()) {
          return Action.SUCCEEDED;
        }
        int n = Math.min(SLICE, content.remaining());
        ByteBuffer slice = content.slice(content.position(), n);
        content.position(content.position() + n);
        timed(last && !content.hasRemaining(), slice, this);
        return Action.SCHEDULED;
      }

      @Override
      protected void onCompleteSuccess() {
        callback.succeeded();
      }

      @Override
      protected void onCompleteFailure(Throwable cause) {
        callback.failed(cause);
      }

      @Override
      public InvocationType getInvocationType() {
        return callback.getInvocationType();
      }
    }
  }
}
