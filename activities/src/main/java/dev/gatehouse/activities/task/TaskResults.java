package dev.gatehouse.activities.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gatehouse.registry.Ids;
import dev.gatehouse.registry.tasks.StoredText;
import dev.gatehouse.registry.tasks.TaskResultDao;
import dev.gatehouse.workflows.agent.AgentTranscript;
import dev.gatehouse.workflows.tool.StoredResult;
import dev.gatehouse.workflows.tool.ToolCallRequest;
import dev.gatehouse.workflows.tool.ToolCallResult;
import dev.gatehouse.workflows.tool.ToolResults;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The large tool results of agent tasks, kept in PostgreSQL ({@code task_results}) instead of the
 * workflow history. The tool activity {@linkplain #keep stores} a result longer than its request's
 * {@code storeOver} under the task (the workflow id) and the caller's tenant, and returns a
 * reference with a preview; the agent loop puts the reference in the transcript ({@link
 * AgentTranscript#RESULT_MEMBER}); the model activity {@linkplain #resolve reads the results
 * back} before the request goes to the provider, only those its own task stored within its
 * tenant.
 *
 * <p>Sizes: a result is stored cut at {@link ToolResults#MAX_STORED_CHARS} characters; the model
 * reads at most {@link AgentTranscript#MAX_RESULT_CHARS} of each, as it would have without
 * storage; and the results read back add at most {@link #MAX_EXPANDED_CHARS} characters to one
 * request (the newest first: older ones stay as their preview, and the model is told).
 */
public class TaskResults {
  private static final Logger LOG = LoggerFactory.getLogger(TaskResults.class);
  /** The most characters the results read back add to one model request. */
  public static final int MAX_EXPANDED_CHARS = AgentTranscript.MAX_CHARS;
  /** What a result id looks like ({@link Ids#newId} with prefix {@code res}); anything else is not looked up. */
  public static final Pattern ID = Pattern.compile("res_[a-z0-9]{20}");
  /** The most references of one request looked up (more than a transcript's limit can hold). */
  static final int MAX_REFERENCES = 1_000;

  private final TaskResultDao results;

  public TaskResults(Jdbi jdbi) {
    this.results = jdbi.onDemand(TaskResultDao.class);
  }

  /** Reads stored results back into a model request; see {@link TaskResults#resolve}. */
  @FunctionalInterface
  public interface Resolver {
    ObjectNode resolve(ObjectNode body, String tenantId, String taskId);
  }

  /**
   * {@code result} as the activity returns it for {@code request}, a call of task {@code taskId}:
   * when the request asks for it and the result's content is longer than {@code storeOver}, the
   * content is stored and the result names it instead ({@link ToolCallResult#stored()}). A result
   * that could not be stored (the database failed) is returned whole, as before storage existed:
   * the task goes on, with a larger history.
   */
  public ToolCallResult keep(ToolCallRequest request, String taskId, ToolCallResult result) {
    Integer over = request.storeOver();
    String tenant = request.caller() == null ? null : request.caller().tenantId();
    if (over == null || result == null || result.output() == null || result.stored() != null || tenant == null || taskId == null) {
      return result;
    }
    String text = ToolResults.text(result.output());
    if (text.length() <= Math.max(0, over)) {
      return result;
    }
    StoredResult stored = store(tenant, taskId, request.stepId(), text);
    return stored == null ? result : result.storedAs(stored);
  }

  /** Stores {@code text} (cut at {@link ToolResults#MAX_STORED_CHARS}); null when the database failed. */
  StoredResult store(String tenantId, String taskId, String stepId, String text) {
    String kept = ToolResults.cut(text, ToolResults.MAX_STORED_CHARS);
    byte[] encoded = StoredText.encode(kept);
    String id = Ids.newId("res");
    try {
      results.insert(id, tenantId, taskId, stepId == null ? "" : stepId, text.length(), kept.length(), encoded.length, encoded);
    } catch (JdbiException e) {
      // Not the exception's message: it names the statement's arguments, the result among them.
      LOG.warn("could not store the result of step {} of task {} ({}); it is returned whole", stepId, taskId, describe(e));
      return null;
    }
    return new StoredResult(id, text.length(), ToolResults.preview(text));
  }

  /**
   * {@code body} (an OpenAI chat request) as the provider may see it: every tool message that
   * names a stored result ({@link AgentTranscript#RESULT_MEMBER}) gets the result as its content,
   * as the model reads a result ({@link AgentTranscript#storedResultText}), when task {@code
   * taskId} of tenant {@code tenantId} stored it; else a content saying it is unavailable, with
   * what the transcript kept of it. The member is removed from every message. {@code body} itself
   * is not changed; it is returned as it is when no message has the member. Throws when the
   * database cannot be read (the model call is then retried).
   */
  public ObjectNode resolve(ObjectNode body, String tenantId, String taskId) {
    JsonNode messages = body == null ? null : body.get("messages");
    if (messages == null || !messages.isArray() || !anyReference(messages)) {
      return body;
    }
    ObjectNode copy = body.deepCopy();
    ArrayNode list = (ArrayNode) copy.get("messages");
    // The references, newest first: when not every result fits, the latest ones are read.
    List<ObjectNode> referring = new ArrayList<>();
    Set<String> ids = new LinkedHashSet<>();
    for (int i = list.size() - 1; i >= 0; i--) {
      if (!(list.get(i) instanceof ObjectNode m) || !m.has(AgentTranscript.RESULT_MEMBER)) {
        continue;
      }
      JsonNode ref = m.get(AgentTranscript.RESULT_MEMBER);
      if (!"tool".equals(m.path("role").asText()) || !ref.isTextual()) {
        m.remove(AgentTranscript.RESULT_MEMBER);
        continue;
      }
      referring.add(m);
      if (ID.matcher(ref.textValue()).matches() && ids.size() < MAX_REFERENCES) {
        ids.add(ref.textValue());
      }
    }
    Map<String, Integer> sizes = new HashMap<>();
    if (!ids.isEmpty() && tenantId != null && taskId != null) {
      results.sizes(List.copyOf(ids), tenantId, taskId).forEach(s -> sizes.put(s.id(), s.chars()));
    }
    // Which results fit: as the model reads them, by their size, newest first.
    long left = MAX_EXPANDED_CHARS;
    Set<String> read = new LinkedHashSet<>();
    for (ObjectNode m : referring) {
      String id = m.get(AgentTranscript.RESULT_MEMBER).textValue();
      Integer chars = sizes.get(id);
      if (chars != null && !read.contains(id)) {
        // As the model reads it: at most MAX_RESULT_CHARS, and the note of a cut (counted exactly below).
        long expands = Math.min(chars, AgentTranscript.MAX_RESULT_CHARS) + (chars > AgentTranscript.MAX_RESULT_CHARS ? 80 : 2);
        if (expands <= left) {
          read.add(id);
          left -= expands;
        }
      }
    }
    Map<String, String> contents = new HashMap<>();
    if (!read.isEmpty()) {
      int bytes = StoredText.startBytes(AgentTranscript.MAX_RESULT_CHARS);
      for (TaskResultDao.Start s : results.starts(List.copyOf(read), tenantId, taskId, bytes)) {
        contents.put(s.id(), AgentTranscript.storedResultText(StoredText.decodeStart(s.content(), AgentTranscript.MAX_RESULT_CHARS), s.chars()));
      }
    }
    left = MAX_EXPANDED_CHARS;
    for (ObjectNode m : referring) {
      String id = m.remove(AgentTranscript.RESULT_MEMBER).textValue();
      String kept = m.path("content").isTextual() ? m.get("content").textValue() : "";
      String content = contents.get(id);
      long size = content == null ? 0 : TextNode.valueOf(content).toString().length();
      if (content != null && size <= left) {
        m.put("content", content);
        left -= size;
      } else if (content != null || (sizes.containsKey(id) && !read.contains(id))) {
        m.put("content", "[gatehouse: the full result was not read back, to keep this request within "
            + MAX_EXPANDED_CHARS + " characters of stored results; what the transcript kept of it follows]\n" + kept);
      } else {
        m.put("content", "[gatehouse: the stored result is unavailable; what the transcript kept of it follows]\n" + kept);
      }
    }
    return copy;
  }

  private static boolean anyReference(JsonNode messages) {
    for (JsonNode m : messages) {
      if (m.has(AgentTranscript.RESULT_MEMBER)) {
        return true;
      }
    }
    return false;
  }

  /** The kind of a database failure, without the statement's arguments. */
  static String describe(JdbiException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql) {
        return e.getClass().getSimpleName() + ", SQL state " + sql.getSQLState();
      }
    }
    return e.getClass().getSimpleName();
  }
}
