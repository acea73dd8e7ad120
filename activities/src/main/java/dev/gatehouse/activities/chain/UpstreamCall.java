package dev.gatehouse.activities.chain;

/** The call a {@link PolicyChain} governs: a connector's request to the tool's or model's upstream. */
@FunctionalInterface
public interface UpstreamCall<E, R> {

  /** Makes the call, after every step allowed it; throws the kind of call's failure exception. */
  R call(E exchange);
}
