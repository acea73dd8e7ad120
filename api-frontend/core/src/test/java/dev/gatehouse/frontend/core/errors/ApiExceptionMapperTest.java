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
}
