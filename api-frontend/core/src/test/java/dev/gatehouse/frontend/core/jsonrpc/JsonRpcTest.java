package dev.gatehouse.frontend.core.jsonrpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.frontend.core.errors.ApiException;
import dev.gatehouse.frontend.core.errors.ErrorCode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonRpcTest {

  private static JsonRpc.Message parse(String json) {
    return JsonRpc.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  private static void refused(String json, ErrorCode expected) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.error()).isEqualTo(expected));
  }

  @Test
  void aRequestANotificationAndAResponseAreToldApart() {
    JsonRpc.Message request = parse("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}");
    assertThat(request.isRequest()).isTrue();
    assertThat(request.idValue()).isEqualTo(7L);
    assertThat(request.params().path("name").asText()).isEqualTo("x");

    JsonRpc.Message stringId = parse("{\"jsonrpc\":\"2.0\",\"id\":\"a-1\",\"method\":\"ping\"}");
    assertThat(stringId.idValue()).isEqualTo("a-1");

    JsonRpc.Message notification = parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    assertThat(notification.isRequest()).isFalse();
    assertThat(notification.isResponse()).isFalse();
    assertThat(notification.idValue()).isNull();

    JsonRpc.Message nullId = parse("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}");
    assertThat(nullId.isRequest()).isFalse();

    JsonRpc.Message response = parse("{\"jsonrpc\":\"2.0\",\"id\":\"gatehouse-1\",\"result\":{}}");
    assertThat(response.isResponse()).isTrue();
    assertThat(response.method()).isNull();
  }

  @Test
  void whatIsNotOneJsonRpcMessageIsRefusedWithItsCode() {
    refused("{not json", ErrorCode.INVALID_JSON);
    refused("", ErrorCode.INVALID_JSON);
    refused("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", ErrorCode.BATCH_NOT_SUPPORTED);
    refused("\"a string\"", ErrorCode.INVALID_REQUEST);
    refused("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", ErrorCode.INVALID_REQUEST);
    refused("{\"jsonrpc\":\"2.0\",\"id\":1}", ErrorCode.INVALID_REQUEST);
    refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":42}", ErrorCode.INVALID_REQUEST);
    refused("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", ErrorCode.INVALID_REQUEST);
    refused("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"ping\"}", ErrorCode.INVALID_REQUEST);
    // An integer id beyond 64 bits: the SDK could not hold it (it logged an error per request), and
    // read as a long here it would wrap around.
    refused("{\"jsonrpc\":\"2.0\",\"id\":9223372036854775808,\"method\":\"ping\"}", ErrorCode.INVALID_REQUEST);
    refused("{\"jsonrpc\":\"2.0\",\"id\":-9223372036854775809,\"method\":\"ping\"}", ErrorCode.INVALID_REQUEST);
    refused("{\"jsonrpc\":\"2.0\",\"id\":18446744073709551616,\"result\":{}}", ErrorCode.INVALID_REQUEST);
    assertThat(parse("{\"jsonrpc\":\"2.0\",\"id\":9223372036854775807,\"method\":\"ping\"}").idValue()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void aResponseIsRefusedUnlessItIsShapedAsOne() {
    assertThat(parse("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32601,\"message\":\"no\"}}").isResponse()).isTrue();
    assertThat(parse("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"parse\"}}").isResponse()).isTrue();
    refused("{\"jsonrpc\":\"2.0\",\"id\":10,\"error\":5}", ErrorCode.INVALID_REQUEST);
    refused("{\"jsonrpc\":\"2.0\",\"id\":10,\"error\":{\"code\":\"x\",\"message\":\"m\"}}", ErrorCode.INVALID_REQUEST);
    refused("{\"jsonrpc\":\"2.0\",\"id\":10,\"error\":{\"code\":1}}", ErrorCode.INVALID_REQUEST);
    refused("{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":{},\"error\":{\"code\":1,\"message\":\"m\"}}", ErrorCode.INVALID_REQUEST);
    refused("{\"jsonrpc\":\"2.0\",\"result\":{}}", ErrorCode.INVALID_REQUEST);
    // A member given twice: which one counts would differ between Gatehouse and the SDK behind it.
    refused("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"method\":\"tools/call\"}", ErrorCode.INVALID_JSON);
  }

  @Test
  void aRequestRefusedForTextItHoldsNamesItsIdUnlessTheIdIsTheText() {
    String lone = "\\ud800";
    assertThatThrownBy(() -> parse("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"arguments\":{\"t\":\"a" + lone + "\"}}}"))
        .isInstanceOfSatisfying(JsonRpc.RefusedRequest.class, e -> {
          assertThat(e.error()).isEqualTo(ErrorCode.INVALID_REQUEST);
          assertThat(e.getMessage()).contains("params.arguments.t");
          assertThat(e.id().asLong()).isEqualTo(5);
        });
    assertThatThrownBy(() -> parse("{\"jsonrpc\":\"2.0\",\"id\":\"r-1\",\"method\":\"ping\",\"params\":{\"x\\u0000\":1}}"))
        .isInstanceOfSatisfying(JsonRpc.RefusedRequest.class, e -> assertThat(e.id().asText()).isEqualTo("r-1"));
    // An id that is itself not acceptable text cannot be echoed; neither has a notification one.
    assertThatThrownBy(() -> parse("{\"jsonrpc\":\"2.0\",\"id\":\"r" + lone + "\",\"method\":\"ping\"}"))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e).isNotInstanceOf(JsonRpc.RefusedRequest.class);
          assertThat(e.error()).isEqualTo(ErrorCode.INVALID_REQUEST);
        });
    assertThatThrownBy(() -> parse("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\",\"params\":{\"a\":\"" + lone + "\"}}"))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e).isNotInstanceOf(JsonRpc.RefusedRequest.class));
  }

  @Test
  void anErrorCarriesTheCatalogsJsonRpcCodeAndGatehousesCode() {
    var request = parse("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\"}");
    var error = JsonRpc.error(request.id(), ErrorCode.TOOL_NOT_ALLOWED, "no");
    assertThat(error.toString())
        .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32602,\"message\":\"no\",\"data\":{\"code\":\"tool_not_allowed\"}}}");
    assertThat(JsonRpc.error(null, ErrorCode.INVALID_JSON, "bad").path("id").isNull()).isTrue();
  }
}
