package dev.gatehouse.frontend.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Proxy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The base URL Gatehouse puts in its answers never comes from the request's Host header. */
class PublicUrlTest {

  /** A request as the servlet container gives it: Host chosen by the client, the local address by the socket. */
  private static HttpServletRequest request(String host, String localAddr, int localPort) {
    Map<String, Object> values = Map.of("getScheme", "http", "getLocalAddr", localAddr, "getLocalPort", localPort);
    return (HttpServletRequest)
        Proxy.newProxyInstance(
            PublicUrlTest.class.getClassLoader(),
            new Class<?>[] {HttpServletRequest.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getHeader") && "Host".equalsIgnoreCase((String) args[0])) {
                return host;
              }
              return values.get(method.getName());
            });
  }

  @Test
  void theConfiguredUrlWinsWithoutItsTrailingSlash() {
    assertThat(new PublicUrl("https://gh.example.com/").base(request("evil.example", "10.0.0.5", 8080)))
        .isEqualTo("https://gh.example.com");
  }

  @Test
  void unsetItIsTheAddressTheRequestArrivedAtNotItsHost() {
    assertThat(new PublicUrl(null).base(request("evil.example", "127.0.0.1", 8080))).isEqualTo("http://127.0.0.1:8080");
    assertThat(new PublicUrl("  ").base(request("evil.example", "0:0:0:0:0:0:0:1%lo", 9000))).isEqualTo("http://[0:0:0:0:0:0:0:1]:9000");
  }
}
