package dev.gatehouse.activities.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Collects a response body of at most {@code max} bytes; a larger one (declared or sent) fails
 * with {@link TooLarge} and the rest is not read. The whole exchange is then one future, which
 * the caller can cancel to abort it (a blocking {@code InputStream} read could not be).
 */
public final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
  /** The body is larger than the cap. */
  public static final class TooLarge extends IOException {
    TooLarge() {
      super("response body over the cap");
    }
  }

  private final int max;
  private final CompletableFuture<byte[]> result = new CompletableFuture<>();
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private Flow.Subscription subscription;

  private CappedBody(int max) {
    this.max = max;
  }

  public static HttpResponse.BodyHandler<byte[]> handler(int max) {
    return info -> {
      CappedBody body = new CappedBody(max);
      if (info.headers().firstValueAsLong("Content-Length").orElse(-1) > max) {
        body.result.completeExceptionally(new TooLarge());
      }
      return body;
    };
  }

  @Override
  public CompletionStage<byte[]> getBody() {
    return result;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (result.isDone()) {
      s.cancel();
    } else {
      s.request(Long.MAX_VALUE);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    for (ByteBuffer b : items) {
      if (result.isDone()) {
        return;
      }
      int n = b.remaining();
      if (bytes.size() + n > max) {
        subscription.cancel();
        result.completeExceptionally(new TooLarge());
        return;
      }
      byte[] chunk = new byte[n];
      b.get(chunk);
      bytes.write(chunk, 0, n);
    }
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    result.complete(bytes.toByteArray());
  }
}
