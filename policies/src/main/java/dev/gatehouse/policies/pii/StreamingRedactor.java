package dev.gatehouse.policies.pii;

/**
 * Redacts text that arrives in pieces (the deltas of a streamed model answer): {@link #push} each
 * piece and send what it returns, then send what {@link #finish} returns. The pieces sent, put
 * together, are exactly what {@link Redactor} makes of the whole text, however it was cut, so a
 * card number or an address split across two deltas is masked all the same.
 *
 * <p><b>Holdback.</b> A piece is sent at once up to the first place where a match could still
 * begin or grow: there the text is held until it is decided. The held part is the shortest suffix
 * that could be the start of a match, as the detectors' own expressions tell it ({@link
 * java.util.regex.Matcher#hitEnd()}): nothing after {@code "Hello, world. "}, the last word after
 * {@code "write to alice"} (it could become an address), the digits after {@code "card 4111 1111"}.
 * It never exceeds {@link PiiScanner#maxHoldback()}; a very long private-key block is the one
 * built-in shape that comes near.
 *
 * <p>Per {@link PiiPolicy.Action}: {@code REDACT} sends masked text as above; {@code RECORD} sends
 * every piece at once and unchanged, counting what it finds; {@code BLOCK} sends text up to the
 * first match and then nothing more, and {@link #blocked()} says so (the caller ends the stream
 * with its error). Not thread-safe: one per stream.
 */
public final class StreamingRedactor {
  private final Incremental inc;
  private final PiiPolicy.Action action;
  private PiiFindings findings = PiiFindings.NONE;
  private boolean blocked;
  private boolean finished;

  public StreamingRedactor(PiiScanner scanner) {
    this(scanner, PiiPolicy.Action.REDACT);
  }

  public StreamingRedactor(PiiScanner scanner, PiiPolicy.Action action) {
    this(scanner, action, scanner.maxHoldback());
  }

  /** With another holdback bound: for tests of what happens past it. */
  StreamingRedactor(PiiScanner scanner, PiiPolicy.Action action, int maxHoldback) {
    this.inc = new Incremental(scanner, maxHoldback);
    this.action = action;
  }

  /** Takes the next piece of text; returns what may be sent now (possibly empty). */
  public String push(CharSequence chunk) {
    if (finished) {
      throw new IllegalStateException("the stream is finished");
    }
    if (blocked) {
      return "";
    }
    StringBuilder out = new StringBuilder(chunk.length());
    for (int i = 0; i < chunk.length() && !blocked; i += PiiScanner.WINDOW) {
      emit(inc.push(chunk.subSequence(i, Math.min(chunk.length(), i + PiiScanner.WINDOW))), out);
    }
    return action == PiiPolicy.Action.RECORD ? chunk.toString() : out.toString();
  }

  /** The text has ended: returns the rest to send. No more pushes after this. */
  public String finish() {
    if (finished) {
      throw new IllegalStateException("the stream is finished");
    }
    finished = true;
    if (blocked) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    emit(inc.finish(), out);
    return action == PiiPolicy.Action.RECORD ? "" : out.toString();
  }

  /** Characters received and not sent yet (always 0 for {@code RECORD}, which sends at once). */
  public int holdback() {
    return action == PiiPolicy.Action.RECORD || blocked ? 0 : inc.held();
  }

  /** What was found so far, in the text decided so far. */
  public PiiFindings findings() {
    return findings;
  }

  /** For {@code BLOCK}: a match was found, and nothing from it on was or will be sent. */
  public boolean blocked() {
    return blocked;
  }

  private void emit(Incremental.Step step, StringBuilder out) {
    findings = findings.plus(PiiFindings.of(step.matches()));
    switch (action) {
      case REDACT -> out.append(Redactor.apply(step.text(), step.matches()));
      case RECORD -> {}
      case BLOCK -> {
        if (step.matches().isEmpty()) {
          out.append(step.text());
        } else {
          out.append(step.text(), 0, step.matches().get(0).start());
          blocked = true;
        }
      }
    }
  }
}
