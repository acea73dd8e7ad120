package dev.gatehouse.frontend.core.errors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

/** Which JSON failures are the client's body and which are Gatehouse's own answer. */
class ApiExceptionMapperTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ApiExceptionMapper mapper = new ApiExceptionMapper();

  private static JsonNode nested(int depth) {
    ArrayNode root = JsonNodeFactory.instance.arrayNode();
    ArrayNode at = root;
    for (int i = 1; i < depth; i++) {
      at = at.addArray();
    }
    return root;
  }

  @Test
  void aBodyThatIsNotJsonIsTheClients() {
    JsonProcessingException read = catchThrowableOfType(JsonProcessingException.class, () -> JSON.readTree("{\"a\":"));
    assertThat(mapper.toResponse(read).getStatus()).isEqualTo(400);
    JsonProcessingException deep = catchThrowableOfType(JsonProcessingException.class, () -> JSON.readTree("[".repeat(1_500) + "]".repeat(1_500)));
    assertThat(ApiExceptionMapper.writingAnswer(deep)).isFalse();
    assertThat(mapper.toResponse(deep).getStatus()).isEqualTo(400);
  }

  /** A probe's task whose trace nested past what JSON is written with was told its GET's body was not valid JSON. */
  @Test
  void anAnswerThatCannotBeWrittenIsGatehousesFailureNotTheClients() {
    JsonProcessingException write =
        catchThrowableOfType(JsonProcessingException.class, () -> JSON.writeValueAsString(java.util.Map.of("trace", nested(1_200))));
    assertThat(ApiExceptionMapper.writingAnswer(write)).isTrue();
    Response r = mapper.toResponse(write);
    assertThat(r.getStatus()).isEqualTo(500);
    assertThat(((ErrorBody) r.getEntity()).error().code()).isEqualTo("internal_error");
  }

  /**
   * A probe dropped the database under a running server: every task call answered 500
   * internal_error, with an ERROR and a stack trace logged for each. An outage is 503
   * database_unavailable, to retry; a failure of the database that is not an outage is still 500.
   */
  @Test
  void aDatabaseThatCannotBeReachedIs503ToRetry() {
    for (java.sql.SQLException down : java.util.List.of(
        new java.sql.SQLException("Connection to 127.0.0.1:5432 refused", "08001"),
        new java.sql.SQLException("FATAL: database \"gatehouse\" does not exist", "3D000"),
        new java.sql.SQLException("FATAL: terminating connection due to administrator command", "57P01"),
        new java.sql.SQLTransientConnectionException("no connection free in time"))) {
      Response r = mapper.toResponse(new RuntimeException("wrapped", down));
      assertThat(r.getStatus()).as(down.getMessage()).isEqualTo(503);
      assertThat(((ErrorBody) r.getEntity()).error().code()).isEqualTo("database_unavailable");
      assertThat(r.getHeaderString("Retry-After")).isEqualTo("5");
    }
    Response other = mapper.toResponse(new RuntimeException("wrapped", new java.sql.SQLException("syntax error", "42601")));
    assertThat(other.getStatus()).isEqualTo(500);
  }
}
