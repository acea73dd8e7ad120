package dev.gatehouse.workflows.approval;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;

/**
 * Approvals of tool calls in an agent task: what an operator is asked, what they answer, and the
 * stable codes of a decision the task refuses. Pure: workflow code calls it.
 */
public final class Approvals {
  /** The most characters of a call's arguments an approval shows. */
  public static final int MAX_PREVIEW_CHARS = 1024;

  /** The update an operator's decision is, and the query of the pending calls. */
  public static final String DECIDE = "decideApproval";
  public static final String PENDING = "approvals";
  /** The query of one held call's whole arguments (the preview is cut; an operator must see all). */
  public static final String ARGUMENTS = "approvalArguments";

  /** Refusals of a decision (the update's validator): nothing changes. */
  public static final String NOT_FOUND = "approval_not_found";
  public static final String DECIDED = "approval_decided";
  public static final String EXPIRED = "approval_expired";
  public static final String MISMATCH = "approval_mismatch";
  /**
   * The task was cancelled while the call waited (the admin API's 409 {@code task_closed}, as for a
   * task that has ended).
   */
  public static final String CLOSED = "task_closed";
  /** A decision that is neither {@link #APPROVE} nor {@link #DENY}. */
  public static final String INVALID = "invalid_request";

  public static final String APPROVE = "approve";
  public static final String DENY = "deny";

  private Approvals() {}

  /**
   * One call waiting for (or past) a decision.
   *
   * @param callId the step id of the call ({@code tool-N.M})
   * @param tool the registry name of the tool
   * @param argumentsSha256 SHA-256 (hex) of the call's arguments in canonical JSON ({@link #canonical})
   * @param policyVersion the version of the approval policy that held the call (see {@code
   *     ApprovalPolicy}); null in histories recorded before it was kept
   * @param preview the arguments as text, cut to {@link #MAX_PREVIEW_CHARS}
   * @param deciders who may decide: admin keys of this tenant or of the platform
   * @param expiresAt when an undecided call counts as denied (ISO-8601)
   * @param status {@code pending}, {@code approved}, {@code denied}, {@code expired}, or {@code
   *     canceled} (the task reached its deadline, or was cancelled, while the call waited)
   * @param decidedBy the admin key that decided (null while pending or expired)
   * @param reason the decider's reason (may be null)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Call(
      String callId,
      String tool,
      String argumentsSha256,
      String policyVersion,
      String preview,
      String deciders,
      String expiresAt,
      String status,
      String decidedBy,
      String reason) {

    /** This call with another preview (as shown). */
    public Call withPreview(String shown) {
      return new Call(callId, tool, argumentsSha256, policyVersion, shown, deciders, expiresAt, status, decidedBy, reason);
    }

    /** This call with another status, decider and reason. */
    public Call with(String newStatus, String by, String why) {
      return new Call(callId, tool, argumentsSha256, policyVersion, preview, deciders, expiresAt, newStatus, by, why);
    }

    public boolean pending() {
      return "pending".equals(status);
    }

    /** This call with its {@code expiresAt} no later than {@code deadline} (as written: ISO-8601); itself when it is already. */
    public Call expiringBy(java.time.Instant deadline) {
      try {
        if (expiresAt != null && java.time.Instant.parse(expiresAt).isAfter(deadline)) {
          return new Call(callId, tool, argumentsSha256, policyVersion, preview, deciders, deadline.toString(), status, decidedBy, reason);
        }
      } catch (java.time.format.DateTimeParseException e) {
        // not a time Gatehouse wrote: shown as it is
      }
      return this;
    }
  }

  /**
   * An operator's decision on one call: bound to the call id and the SHA-256 of the arguments the
   * operator saw, so a decision for other arguments is refused; and, when it names one, to the
   * version of the approval policy that held the call, so a decision taken under another version
   * is refused too.
   */
  public record Decision(
      String callId, String decision, String argumentsSha256, String reason, String decidedBy, String policyVersion) {
    public Decision(String callId, String decision, String argumentsSha256, String reason, String decidedBy) {
      this(callId, decision, argumentsSha256, reason, decidedBy, null);
    }
  }

  /**
   * A refusal of a decision. The engine hands a refused update's failure to the client with its
   * message but not its type, so the code leads the message ({@code "approval_mismatch: ..."});
   * {@link #codeOf} reads it back.
   */
  public static io.temporal.failure.ApplicationFailure refusal(String code, String message) {
    return io.temporal.failure.ApplicationFailure.newNonRetryableFailure(code + ": " + message, code);
  }

  /** The code a refusal's message leads with (see {@link #refusal}); null when it has none of ours. */
  public static String codeOf(String message) {
    if (message == null) {
      return null;
    }
    for (String code : List.of(NOT_FOUND, DECIDED, EXPIRED, MISMATCH, CLOSED, INVALID)) {
      if (message.startsWith(code + ": ")) {
        return code;
      }
    }
    return null;
  }

  /** The text of a refusal after its code. */
  public static String reasonOf(String message) {
    String code = codeOf(message);
    return code == null ? message : message.substring(code.length() + 2);
  }

  /** The JSON text of {@code value} with every object's members sorted by name, no whitespace. */
  public static String canonical(JsonNode value) {
    StringBuilder sb = new StringBuilder();
    write(value, sb);
    return sb.toString();
  }

  private static void write(JsonNode v, StringBuilder sb) {
    if (v == null || v.isMissingNode()) {
      sb.append("null");
    } else if (v.isObject()) {
      List<String> names = new ArrayList<>();
      for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
        names.add(it.next());
      }
      names.sort(null);
      sb.append('{');
      for (int i = 0; i < names.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append(com.fasterxml.jackson.databind.node.TextNode.valueOf(names.get(i)).toString()).append(':');
        write(v.get(names.get(i)), sb);
      }
      sb.append('}');
    } else if (v.isArray()) {
      sb.append('[');
      for (int i = 0; i < v.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        write(v.get(i), sb);
      }
      sb.append(']');
    } else {
      sb.append(v.toString());
    }
  }

  /** SHA-256 (hex) of the canonical JSON of {@code arguments}. */
  public static String sha256(JsonNode arguments) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(canonical(arguments).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String preview(JsonNode arguments) {
    String text = arguments == null ? "null" : arguments.isTextual() ? arguments.textValue() : arguments.toString();
    return text.length() <= MAX_PREVIEW_CHARS ? text : text.substring(0, MAX_PREVIEW_CHARS) + "…";
  }
}
