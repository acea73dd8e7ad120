#!/bin/sh
# One-shot, run by the `temporal-namespace` service of docker-compose.yml in the
# temporalio/admin-tools image once the Temporal server is healthy: registers the namespace
# Gatehouse uses (TEMPORAL_NAMESPACE, default `default`) unless it exists. TEMPORAL_ADDRESS is read
# by the temporal CLI itself.
set -eu

namespace="${TEMPORAL_NAMESPACE:-default}"

# The port answers a little before the server does.
attempt=0
until temporal operator cluster health; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 30 ]; then
    echo "Temporal at $TEMPORAL_ADDRESS did not become healthy" >&2
    exit 1
  fi
  sleep 2
done

if temporal operator namespace describe -n "$namespace" >/dev/null 2>&1; then
  echo "namespace $namespace exists"
else
  temporal operator namespace create -n "$namespace" --retention "${NAMESPACE_RETENTION:-24h}"
  echo "namespace $namespace created"
fi
