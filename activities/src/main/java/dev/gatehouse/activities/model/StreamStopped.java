package dev.gatehouse.activities.model;

import java.io.IOException;

/**
 * Thrown by a {@link StreamSink} that ended the client's stream itself, having written the error
 * event that says why (a PII policy that blocks found personal data in the answer): the router
 * abandons the upstream request, as when the client leaves, but the stream is not counted as one
 * the client left. The step that stopped it refuses the call after it ({@code Exchange#deny}).
 */
public final class StreamStopped extends IOException {
  public StreamStopped(String why) {
    super(why, null);
  }
}
