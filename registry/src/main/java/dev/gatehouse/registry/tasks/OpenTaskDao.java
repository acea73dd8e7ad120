package dev.gatehouse.registry.tasks;

import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/**
 * The open tasks admission control counts: RUNNING rows of the task index whose run timeout has
 * not passed (a timed-out task's row may still say RUNNING until someone reads it). The index is
 * shared by every replica, so the counts hold across replicas and restarts.
 */
@RegisterConstructorMapper(OpenTaskDao.OpenTasks.class)
public interface OpenTaskDao {

  /**
   * Open tasks of one tenant and of all tenants, the mean age of each set in milliseconds (0 when
   * empty), and the tenant's name (null if it is gone).
   */
  record OpenTasks(int tenant, int all, long tenantMeanAgeMillis, long allMeanAgeMillis, String tenantName) {}

  @SqlQuery(
      "SELECT count(*) FILTER (WHERE tenant_id = :tenantId) AS tenant, count(*) AS \"all\", "
          + "COALESCE(CAST(avg(EXTRACT(EPOCH FROM now() - created_at) * 1000) FILTER (WHERE tenant_id = :tenantId) AS bigint), 0) "
          + "  AS tenant_mean_age_millis, "
          + "COALESCE(CAST(avg(EXTRACT(EPOCH FROM now() - created_at) * 1000) AS bigint), 0) AS all_mean_age_millis, "
          + "(SELECT name FROM tenants WHERE id = :tenantId) AS tenant_name "
          + "FROM tasks WHERE status = 'RUNNING' AND (deadline IS NULL OR deadline > now())")
  OpenTasks count(@Bind("tenantId") String tenantId);
}
