package dev.gatehouse.frontend.app.health;

import com.codahale.metrics.health.HealthCheck;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.util.concurrent.TimeUnit;

/** Healthy when the Temporal frontend answers a cheap call within two seconds. */
public class TemporalHealthCheck extends HealthCheck {
  private final WorkflowServiceStubs stubs;

  public TemporalHealthCheck(WorkflowServiceStubs stubs) {
    this.stubs = stubs;
  }

  @Override
  protected Result check() {
    try {
      stubs.blockingStub()
          .withDeadlineAfter(2, TimeUnit.SECONDS)
          .getSystemInfo(GetSystemInfoRequest.getDefaultInstance());
      return Result.healthy();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
        return Result.healthy("reachable (GetSystemInfo not implemented by this server)");
      }
      return Result.unhealthy("Temporal is not reachable: " + e.getStatus().getCode());
    }
  }
}
