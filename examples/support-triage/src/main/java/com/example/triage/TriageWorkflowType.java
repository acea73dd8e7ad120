package com.example.triage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.workflows.spi.GatehouseWorkflow;
import dev.gatehouse.workflows.spi.InvalidTaskInputException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Registers {@link TriageWorkflow} with Gatehouse (listed in {@code
 * META-INF/services/dev.gatehouse.workflows.spi.GatehouseWorkflow}): its name, its implementation,
 * the tools and model it calls (checked against the agent's permissions before a task starts), and
 * the input it takes.
 */
public final class TriageWorkflowType implements GatehouseWorkflow {
  static final String GET_TICKET = "helpdesk.get_ticket";
  static final String SEARCH_KB = "kb.search";
  static final String CREATE_TICKET = "helpdesk.create_ticket";
  static final String MODEL = "triage";
  private static final Pattern TICKET_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  @Override
  public String name() {
    return TriageWorkflow.NAME;
  }

  @Override
  public Class<?> implementation() {
    return TriageWorkflowImpl.class;
  }

  @Override
  public String description() {
    return "reads a support ticket, searches the knowledge base, classifies it with a model and files it (after approval)";
  }

  @Override
  public Set<String> tools() {
    return Set.of(GET_TICKET, SEARCH_KB, CREATE_TICKET);
  }

  @Override
  public Set<String> models() {
    return Set.of(MODEL);
  }

  /** {@code {"ticketId": "T-1001"}}, and nothing else. */
  @Override
  public void validate(JsonNode input) throws InvalidTaskInputException {
    JsonNode id = input.get("ticketId");
    if (id == null || !id.isTextual() || !TICKET_ID.matcher(id.textValue()).matches()) {
      throw new InvalidTaskInputException("'ticketId' must be 1 to 64 letters, digits, '-' or '_'");
    }
    for (Iterator<String> names = input.fieldNames(); names.hasNext(); ) {
      if (!names.next().equals("ticketId")) {
        throw new InvalidTaskInputException("the input holds only 'ticketId'");
      }
    }
  }

  @Override
  public Duration approvalTimeout() {
    return Duration.ofHours(8);
  }
}
