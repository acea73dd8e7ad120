package dev.gatehouse.activities.chain;

import dev.gatehouse.policies.Decision;
import dev.gatehouse.registry.agents.Agent;
import dev.gatehouse.workflows.tool.Caller;

/** A kind of governed call of the tests' own, to run the chain and its shared steps without a tool. */
record SampleCall(String target, Caller caller, Agent authenticatedAgent, String taskId, int attempt)
    implements GovernedCall {

  static SampleCall of(String target, Caller caller) {
    return new SampleCall(target, caller, null, "task-1", 1);
  }

  /** The sample kind's failure: its type is the denial code, or what the test gives. */
  static final class Failure extends RuntimeException {
    final String type;

    Failure(String type, String message) {
      super(message);
      this.type = type;
    }
  }

  static final CallFailures FAILURES =
      new CallFailures() {
        @Override
        public RuntimeException denied(Decision denial) {
          return new Failure(denial.code(), denial.reason());
        }

        @Override
        public String typeOf(Throwable failure) {
          return failure instanceof Failure f ? f.type : "InternalError";
        }
      };
}
