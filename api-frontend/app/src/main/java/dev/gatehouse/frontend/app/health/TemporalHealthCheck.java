package dev.gatehouse.frontend.app.health;

import com.codahale.metrics.health.HealthCheck;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.util.concurrent.TimeUnit;

/**
 * Healthy when the Temporal frontend describes Gatehouse's namespace within two seconds: the
 * engine answers, this replica may use it, and the namespace its workers poll exists. A server
 * that answers but does not know the namespace (a typo in {@code temporal.namespace}, a namespace
 * not yet registered) is unhealthy, as tasks could not start there.
 */
public class TemporalHealthCheck extends HealthCheck {
  private final WorkflowServiceStubs stubs;
  private final String namespace;

  public TemporalHealthCheck(WorkflowServiceStubs stubs, String namespace) {
    this.stubs = stubs;
    this.namespace = namespace;
  }

  @Override
  protected Result check() {
    try {
      stubs.blockingStub()
          .withDeadlineAfter(2, TimeUnit.SECONDS)
          .describeNamespace(DescribeNamespaceRequest.newBuilder().setNamespace(namespace).build());
      return Result.healthy();
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      if (code == Status.Code.NOT_FOUND) {
        return Result.unhealthy("the Temporal namespace '" + namespace + "' does not exist (temporal.namespace)");
      }
      if (code == Status.Code.PERMISSION_DENIED || code == Status.Code.UNAUTHENTICATED) {
        return Result.unhealthy("Temporal refused this replica's credentials for namespace '" + namespace + "': " + code);
      }
      return Result.unhealthy("Temporal is not reachable: " + code);
    }
  }
}
