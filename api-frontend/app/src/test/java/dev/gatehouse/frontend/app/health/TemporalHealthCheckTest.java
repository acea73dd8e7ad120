package dev.gatehouse.frontend.app.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.health.HealthCheck.Result;
import dev.gatehouse.frontend.app.temporal.EmbeddedTemporal;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.api.workflowservice.v1.DescribeNamespaceResponse;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.api.workflowservice.v1.GetSystemInfoResponse;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** The admin port's {@code temporal} health check against an engine that answers, one that does not know the namespace, and none. */
class TemporalHealthCheckTest {
  @Test
  void healthyWhenTheEngineDescribesTheNamespace() {
    try (EmbeddedTemporal engine = EmbeddedTemporal.start("127.0.0.1", 0, EmbeddedTemporal.Retention.DEFAULT)) {
      WorkflowServiceStubs stubs =
          WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setChannel(engine.channel()).build());
      try {
        Result result = new TemporalHealthCheck(stubs, "default").execute();
        assertThat(result.isHealthy()).as(result.getMessage()).isTrue();
      } finally {
        stubs.shutdownNow();
      }
    }
  }

  /**
   * A fake frontend answering DescribeNamespace as a Temporal server does for a namespace it has
   * not registered (NOT_FOUND), and everything else but GetSystemInfo UNIMPLEMENTED: the test server registers
   * whatever namespace it is asked about, so it cannot show this.
   */
  @Test
  void unhealthyWhenTheEngineAnswersButDoesNotKnowTheNamespace() throws Exception {
    String name = InProcessServerBuilder.generateName();
    Server server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                new WorkflowServiceGrpc.WorkflowServiceImplBase() {
                  @Override
                  public void getSystemInfo(GetSystemInfoRequest request, StreamObserver<GetSystemInfoResponse> answer) {
                    answer.onNext(GetSystemInfoResponse.getDefaultInstance()); // the SDK's stubs ask this first
                    answer.onCompleted();
                  }

                  @Override
                  public void describeNamespace(DescribeNamespaceRequest request, StreamObserver<DescribeNamespaceResponse> answer) {
                    answer.onError(Status.NOT_FOUND.withDescription("Namespace " + request.getNamespace() + " is not found.").asRuntimeException());
                  }
                })
            .build()
            .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setChannel(channel).build());
    try {
      Result result = new TemporalHealthCheck(stubs, "gatehouse-typo").execute();
      assertThat(result.isHealthy()).isFalse();
      assertThat(result.getMessage()).contains("'gatehouse-typo' does not exist");
    } finally {
      stubs.shutdownNow();
      channel.shutdownNow();
      server.shutdownNow();
    }
  }

  @Test
  void unhealthyWhenNothingAnswers() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget("127.0.0.1:" + port).build());
    try {
      Result result = new TemporalHealthCheck(stubs, "default").execute();
      assertThat(result.isHealthy()).isFalse();
      assertThat(result.getMessage()).startsWith("Temporal is not reachable");
    } finally {
      stubs.shutdownNow();
    }
  }
}
