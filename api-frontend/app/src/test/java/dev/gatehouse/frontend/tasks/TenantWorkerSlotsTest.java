package dev.gatehouse.frontend.tasks;

import static dev.gatehouse.frontend.testing.TestGatehouse.ADMIN_KEY;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_A;
import static dev.gatehouse.frontend.testing.TestGatehouse.KEY_B;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.frontend.testing.FakeProvider;
import dev.gatehouse.frontend.testing.TestGatehouse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * One tenant's steps cannot take every slot of the worker: with 4 slots and a share of 2 per
 * tenant ({@code worker.maxActivitiesPerTenant}), a tenant's pipeline of 4 parallel steps against
 * an upstream that holds every call runs 2 of them; the other 2 wait in the task and run once
 * slots are free. Meanwhile another tenant's task runs at once. Without the share the 4 held calls
 * took all 4 slots, and the other tenant's task waited until they ended.
 */
class TenantWorkerSlotsTest {
  private static final List<String> HELD = IntStream.rangeClosed(1, 4).mapToObj(i -> "share-" + i).toList();

  @Test
  void oneTenantsHeldStepsLeaveSlotsForAnotherTenantAndRunLater() throws Exception {
    try (TestGatehouse gh =
        TestGatehouse.start(
            c -> {
              c.getWorker().setMaxConcurrentActivities(4);
              c.getWorker().setMaxActivitiesPerTenant(2);
            })) {
      StringBuilder steps = new StringBuilder();
      for (String name : HELD) {
        steps.append(steps.isEmpty() ? "" : ",")
            .append("{\"id\":\"").append(name).append("\",\"tool\":\"t.hold\",\"args\":{\"name\":\"").append(name).append("\"}}");
      }
      String held = gh.submit(KEY_A, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[" + steps + "]}}");
      try {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (arrived(gh) < 2 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(arrived(gh)).as("calls of tenant alpha at the upstream").isEqualTo(2);
        // Refused calls come back every 2 s or more; give them the time to be refused again.
        Thread.sleep(2_500);
        assertThat(arrived(gh)).as("calls of tenant alpha at the upstream, a while later").isEqualTo(2);

        long started = System.nanoTime();
        String other =
            gh.submit(KEY_B, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\",\"args\":{\"a\":1,\"b\":2}}]}}");
        JsonNode done = gh.await(KEY_B, other);
        assertThat(done.path("status").asText()).as("tenant beta's task, while alpha's calls are held").isEqualTo("COMPLETED");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(refusals(gh)).as("calls refused for alpha's share").isGreaterThan(0);
      } finally {
        HELD.forEach(gh.tools::release);
      }
      JsonNode task = gh.await(KEY_A, held);
      assertThat(task.path("status").asText()).as("alpha's task: %s", task).isEqualTo("COMPLETED");
      assertThat(arrived(gh)).as("every step of alpha's ran in the end").isEqualTo(4);
    }
  }

  /**
   * A model call hears of its task's cancel at its next heartbeat: its provider request is aborted
   * and its slot given back at once. Without heartbeats it held the slot until the provider's
   * timeout (60 s here), and the tenant's next task waited that long.
   */
  @Test
  void aCancelledTasksModelCallGivesItsSlotBackAtOnce() throws Exception {
    try (FakeProvider provider = new FakeProvider();
        TestGatehouse gh =
            TestGatehouse.start(
                c -> {
                  c.getWorker().setMaxConcurrentActivities(4);
                  c.getWorker().setMaxActivitiesPerTenant(1);
                })) {
      provider.script(FakeProvider.Reply.hang());
      assertThat(gh.post("/admin/v1/providers", ADMIN_KEY,
              "{\"name\":\"slow-provider\",\"type\":\"openai\",\"baseUrl\":\"" + provider.openaiBase() + "\",\"timeout\":\"60s\"}")
          .statusCode()).isEqualTo(201);
      assertThat(gh.post("/admin/v1/models", ADMIN_KEY,
              "{\"name\":\"slow\",\"targets\":[{\"provider\":\"slow-provider\",\"model\":\"m\"}],\"retry\":{\"maxAttempts\":1}}")
          .statusCode()).isEqualTo(201);
      String hung =
          gh.submit(KEY_A,
              "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"ask\",\"model\":\"slow\","
                  + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}]}}");
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (provider.requests().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(provider.requests()).as("the model call reached the provider").hasSize(1);
      assertThat(gh.post("/v1/tasks/" + hung + "/cancel", KEY_A, "").statusCode()).isBetween(200, 299);
      assertThat(gh.await(KEY_A, hung).path("status").asText()).isEqualTo("CANCELED");

      long started = System.nanoTime();
      String next =
          gh.submit(KEY_A, "{\"workflow\":\"pipeline\",\"pipeline\":{\"steps\":[{\"id\":\"a\",\"tool\":\"t.add\",\"args\":{\"a\":1,\"b\":2}}]}}");
      JsonNode done = gh.await(KEY_A, next);
      assertThat(done.path("status").asText()).as("the tenant's next task: %s", done).isEqualTo("COMPLETED");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).as("well before the provider's 60 s timeout").isLessThan(Duration.ofSeconds(25));
    }
  }

  private static int arrived(TestGatehouse gh) {
    return (int) HELD.stream().filter(name -> gh.tools.arrived(name).getCount() == 0).count();
  }

  private static double refusals(TestGatehouse gh) {
    Matcher m =
        Pattern.compile("gatehouse_admission_refused_total\\{limit=\"tenantWorkerSlots\",} ([0-9.E]+)")
            .matcher(gh.adminGet("/prometheus").body());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
