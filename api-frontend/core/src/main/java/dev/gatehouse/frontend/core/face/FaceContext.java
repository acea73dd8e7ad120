package dev.gatehouse.frontend.core.face;

import dev.gatehouse.activities.audit.AuditLog;
import dev.gatehouse.activities.metrics.GatehouseMetrics;
import dev.gatehouse.activities.policy.PolicyCatalog;
import dev.gatehouse.activities.tool.ToolCatalog;
import dev.gatehouse.activities.tool.ToolInvoker;
import dev.gatehouse.frontend.core.admission.Admission;
import dev.gatehouse.frontend.core.auth.BearerAuth;
import dev.gatehouse.frontend.core.durable.DurableCalls;
import dev.gatehouse.frontend.core.http.JsonBodies;
import dev.gatehouse.frontend.core.workflows.WorkflowCatalog;
import org.jdbi.v3.core.Jdbi;

/**
 * What the application hands every face it installs: the registry, authentication, request
 * bodies, the audit log and metrics, durable calls and the workflow catalog, the governed tool
 * call, the policy entries (for what a face passes through without a governed call), and admission control (which every path that starts work asks first). One instance per
 * application; every member is safe to share between threads.
 */
public record FaceContext(
    Jdbi jdbi,
    BearerAuth auth,
    JsonBodies bodies,
    AuditLog audit,
    GatehouseMetrics metrics,
    DurableCalls durable,
    WorkflowCatalog workflows,
    ToolCatalog tools,
    ToolInvoker invoker,
    PolicyCatalog policies,
    Admission admission) {

  /** The largest request body a face accepts, in bytes. */
  public long maxRequestBody() {
    return bodies.maxBytes();
  }
}
