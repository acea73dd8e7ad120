package dev.gatehouse.frontend.core.auth;

import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.frontend.testing.TestGatehouse;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** Repeated authentication failures from one address are refused for a while, and audited. */
class AuthThrottleTest {

  @Test
  void guessingIsSlowedDown() throws Exception {
    try (TestGatehouse gh = TestGatehouse.start(c -> c.getAuth().setMaxFailures(3))) {
      for (int i = 0; i < 3; i++) {
        assertThat(gh.get("/v1/tasks", "gk_live_guess_" + i).statusCode()).isEqualTo(401);
      }
      HttpResponse<String> refused = gh.get("/v1/tasks", "gk_live_guess_4");
      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(json(refused).get("error").get("code").asText()).isEqualTo("too_many_failures");
      assertThat(refused.headers().firstValue("Retry-After")).isPresent();
      // While refused, even a good key from that address is not checked.
      assertThat(gh.get("/v1/tasks", KEY_A).statusCode()).isEqualTo(429);

      gh.application().audit().flush();
      long failures =
          gh.db.jdbi().withHandle(h ->
              h.createQuery("SELECT count(*) FROM audit_log WHERE action = 'auth' AND outcome = 'unauthorized'")
                  .mapTo(Long.class).one());
      assertThat(failures).isEqualTo(3);
    }
  }
}
