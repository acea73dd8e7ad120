package dev.gatehouse.frontend.app.temporal;

import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.testserver.TestServer;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works around habits of Temporal's Java test server (io.temporal:temporal-test-server, written
 * for short tests) that make a long-running dev process slower and bigger with every workflow.
 * Each reaches into the server's private fields by reflection, under the lock the
 * server itself uses for that state; if the fields are not where this code expects (another SDK
 * version), nothing is changed and a warning says so: dev mode then runs as before, only without
 * the bounds. The upstream issue text is in docs/dev-engine.md ("Upstream issue").
 *
 * <ol>
 *   <li><b>The timer's lock-event list.</b> {@code SelfAdvancingTimerImpl} appends an entry to
 *       {@code lockEvents} (a {@code LinkedList}, "debugging purposes only") for every time-skipping
 *       lock and unlock. Entries added through {@code updateLocks} (every workflow and activity
 *       task: about 6 per 3-step workflow) are never removed, and each unlock through a lock
 *       handle removes its own entry with {@code LinkedList.remove(Object)}: a scan from the
 *       oldest entry, under the timer's global lock. 12% of the dev process's CPU after ~4,300
 *       workflows, growing without bound. The list is replaced by {@link BoundedLockEvents},
 *       which keeps only the newest {@value #LOCK_EVENTS_KEPT} entries and scans from the newest
 *       end (a handle's entry is almost always among the last few). The list only feeds the
 *       server's diagnostics text and one sanity check; the lock count that matters is a separate
 *       counter, untouched. Trade-off: the diagnostics show the newest entries only, and once
 *       entries have been dropped an unlock whose entry was dropped is accepted rather than
 *       reported as unbalanced (the counter still refuses to go below zero).</li>
 *   <li><b>Closed workflows stay in memory for ever</b> (the server has no retention). {@link
 *       #sweep} drops closed workflows beyond {@link EmbeddedTemporal.Retention#closedWorkflows()}
 *       (the newest are kept) or closed longer ago than {@link
 *       EmbeddedTemporal.Retention#closedFor()}: their mutable state, history and search
 *       attributes, and the timers it still had queued: a closed workflow's run-timeout timer
 *       (24 hours by default) holds its whole state until it fires. Cancelled timers go too.
 *       Trade-off: a dropped workflow is unknown to the engine, exactly as after a dev restart:
 *       its result and trace are read from Gatehouse's archive, or answer {@code
 *       history_unavailable} when it was not archived, while Gatehouse's task index keeps its row
 *       (status, error, times). Running workflows are never dropped, and closed ones that {@link
 *       EmbeddedTemporal.Holds} names (their history is not archived yet) are kept beyond the
 *       retention, up to {@link EmbeddedTemporal.Retention#heldMax()} of them.</li>
 *   <li><b>Cancelled long-poll deadlines</b> stay queued on the service's scheduler until they
 *       would have expired; the scheduler is replaced by one that removes them on cancel.</li>
 * </ol>
 */
final class TestServerTrims {
  private static final Logger LOG = LoggerFactory.getLogger(TestServerTrims.class);

  /** How many lock events the timer keeps for its diagnostics. */
  static final int LOCK_EVENTS_KEPT = 1024;

  private final EmbeddedTemporal.Retention retention;
  /** Which closed workflows not to drop yet; null: none. */
  private volatile EmbeddedTemporal.Holds holds;
  // the timer
  private final Lock timerLock;
  private final Condition timerCondition;
  private final PriorityQueue<?> timerTasks;
  private final Field timerTaskCanceled;
  private final Field timerTaskRunnable;
  private final BoundedLockEvents lockEvents;
  // the workflow service
  private final Lock serviceLock;
  private final Map<?, ?> executions;
  private final Map<?, ?> executionsByWorkflowId;
  private final Map<?, ?> executionsByFirstExecutionRunId;
  // the history store
  private final Lock storeLock;
  private final Map<?, ?> histories;
  private final java.lang.reflect.Method executionOf;
  private final Field historyCompleted;
  private final Field historyEvents;
  // visibility
  private final Map<?, ?> searchAttributes;

  private TestServerTrims(TestServer.InProcessTestServer engine, EmbeddedTemporal.Retention retention)
      throws ReflectiveOperationException {
    this.retention = retention;
    Object starter = get(engine, "testServicesStarter");
    Object timer = get(starter, "selfAdvancingTimer");
    Object service = get(starter, "workflowService");
    Object store = get(starter, "workflowStore");
    Object visibility = get(starter, "visibilityStore");

    timerLock = (Lock) get(timer, "lock");
    timerCondition = (Condition) get(timer, "condition");
    timerTasks = (PriorityQueue<?>) get(timer, "tasks");
    Class<?> timerTask =
        Class.forName("io.temporal.internal.testservice.SelfAdvancingTimerImpl$TimerTask", false,
            timer.getClass().getClassLoader());
    timerTaskCanceled = accessible(timerTask.getDeclaredField("canceled"));
    timerTaskRunnable = accessible(timerTask.getDeclaredField("runnable"));

    serviceLock = (Lock) get(service, "lock");
    executions = (Map<?, ?>) get(service, "executions");
    executionsByWorkflowId = (Map<?, ?>) get(service, "executionsByWorkflowId");
    executionsByFirstExecutionRunId = (Map<?, ?>) get(service, "executionsByFirstExecutionRunId");

    storeLock = (Lock) get(store, "lock");
    histories = (Map<?, ?>) get(store, "histories");
    Class<?> historyStore =
        Class.forName("io.temporal.internal.testservice.TestWorkflowStoreImpl$HistoryStore", false,
            store.getClass().getClassLoader());
    executionOf =
        Class.forName("io.temporal.internal.testservice.ExecutionId", false, store.getClass().getClassLoader())
            .getMethod("getExecution");
    if (executionOf.getReturnType() != WorkflowExecution.class) {
      throw new NoSuchMethodException("ExecutionId.getExecution has an unexpected type");
    }
    historyCompleted = accessible(historyStore.getDeclaredField("completed"));
    historyEvents = accessible(historyStore.getDeclaredField("history"));
    if (historyCompleted.getType() != boolean.class || !List.class.isAssignableFrom(historyEvents.getType())) {
      throw new NoSuchFieldException("HistoryStore.completed/history have unexpected types");
    }

    searchAttributes = (Map<?, ?>) get(visibility, "executionSearchAttributes");

    // Long polls get a deadline context scheduled on this executor; the JDK's default keeps a
    // cancelled one queued (with what it references) until its deadline. Ours removes it at once.
    Field scheduler = accessible(service.getClass().getDeclaredField("backgroundScheduler"));
    if (!java.util.concurrent.ScheduledExecutorService.class.isAssignableFrom(scheduler.getType())) {
      throw new NoSuchFieldException("TestWorkflowService.backgroundScheduler has an unexpected type");
    }
    java.util.concurrent.ScheduledThreadPoolExecutor removing =
        new java.util.concurrent.ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "embedded-temporal-deadlines");
              t.setDaemon(true);
              return t;
            });
    removing.setRemoveOnCancelPolicy(true);
    java.util.concurrent.ScheduledExecutorService original =
        (java.util.concurrent.ScheduledExecutorService) scheduler.get(service);
    scheduler.set(service, removing);
    original.shutdown();

    // Last: the one change to the server's own objects.
    Field events = accessible(timer.getClass().getDeclaredField("lockEvents"));
    if (events.getType() != LinkedList.class) {
      throw new NoSuchFieldException("SelfAdvancingTimerImpl.lockEvents is not a LinkedList");
    }
    lockEvents = new BoundedLockEvents(LOCK_EVENTS_KEPT);
    timerLock.lock();
    try {
      lockEvents.adopt((LinkedList<?>) events.get(timer));
      events.set(timer, lockEvents);
    } finally {
      timerLock.unlock();
    }
  }

  /** The trims for {@code engine}, or null (and a warning) when its internals are not as expected. */
  static TestServerTrims install(TestServer.InProcessTestServer engine, EmbeddedTemporal.Retention retention) {
    try {
      return new TestServerTrims(engine, retention);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn(
          "the embedded Temporal engine's internals are not as expected ({}); it runs without its bounds: "
              + "it slows down and grows with every workflow",
          e.toString());
      return null;
    }
  }

  void sweepQuietly() {
    try {
      int dropped = sweep();
      if (dropped > 0) {
        LOG.debug("dropped {} closed workflow(s) from the embedded engine", dropped);
      }
    } catch (RuntimeException e) {
      LOG.warn("embedded Temporal retention sweep failed: {}", e.toString());
    }
  }

  /** Drops closed workflows beyond the retention, and cancelled timers; returns how many workflows it dropped. */
  int sweep() {
    dropCancelledTimers();
    List<Object> drop = closedBeyondRetention();
    if (drop.isEmpty()) {
      return 0;
    }
    // Never two of the server's locks at once: no lock order to get wrong against the server's own.
    Set<Object> dropIds = Collections.newSetFromMap(new java.util.HashMap<>());
    dropIds.addAll(drop);
    Set<Object> dropStates = Collections.newSetFromMap(new IdentityHashMap<>());
    serviceLock.lock();
    try {
      for (Object id : drop) {
        Object state = executions.remove(id);
        if (state != null) {
          dropStates.add(state);
        }
      }
      executionsByWorkflowId.values().removeIf(dropStates::contains);
      executionsByFirstExecutionRunId.values().removeIf(dropStates::contains);
    } finally {
      serviceLock.unlock();
    }
    storeLock.lock();
    try {
      histories.keySet().removeAll(dropIds);
    } finally {
      storeLock.unlock();
    }
    searchAttributes.keySet().removeAll(dropIds);
    dropTimersOf(dropStates);
    return drop.size();
  }

  /**
   * A closed workflow's timers stay queued until they fire (its run timeout: 24 hours by default),
   * each holding the workflow's state; when they fire they find the workflow closed and do
   * nothing. Those of dropped workflows are removed, found by the state their callback captured.
   */
  private void dropTimersOf(Set<Object> droppedStates) {
    if (droppedStates.isEmpty()) {
      return;
    }
    timerLock.lock();
    try {
      if (timerTasks.removeIf(task -> capturesAny(runnableOf(task), droppedStates, 2))) {
        timerCondition.signal();
      }
    } finally {
      timerLock.unlock();
    }
  }

  private Object runnableOf(Object timerTask) {
    try {
      return timerTaskRunnable.get(timerTask);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether {@code callback} (a lambda) captured one of {@code states}, directly or through another lambda. */
  private static boolean capturesAny(Object callback, Set<Object> states, int depth) {
    if (callback == null || depth == 0) {
      return false;
    }
    if (states.contains(callback)) {
      return true;
    }
    Class<?> type = callback.getClass();
    if (!type.isSynthetic() && !type.getName().contains("$$Lambda")) {
      return false;
    }
    for (Field f : type.getDeclaredFields()) {
      if (f.getType().isPrimitive() || java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
        continue;
      }
      try {
        f.setAccessible(true);
        if (capturesAny(f.get(callback), states, depth - 1)) {
          return true;
        }
      } catch (RuntimeException | IllegalAccessException notReadable) {
        // not a capture we can read: keep the timer
      }
    }
    return false;
  }

  private record Closed(Object id, String workflowId, long closedAtMillis) {}

  void hold(EmbeddedTemporal.Holds holds) {
    this.holds = holds;
  }

  private List<Object> closedBeyondRetention() {
    List<Closed> closed = new ArrayList<>();
    storeLock.lock();
    try {
      for (Map.Entry<?, ?> e : histories.entrySet()) {
        Object history = e.getValue();
        if (!historyCompleted.getBoolean(history)) {
          continue;
        }
        List<?> events = (List<?>) historyEvents.get(history);
        long closedAt = 0;
        if (!events.isEmpty() && events.get(events.size() - 1) instanceof HistoryEvent last) {
          closedAt = last.getEventTime().getSeconds() * 1000 + last.getEventTime().getNanos() / 1_000_000;
        }
        String workflowId = ((WorkflowExecution) executionOf.invoke(e.getKey())).getWorkflowId();
        closed.add(new Closed(e.getKey(), workflowId, closedAt));
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    } finally {
      storeLock.unlock();
    }
    long oldest = System.currentTimeMillis() - retention.closedFor().toMillis();
    closed.sort(Comparator.comparingLong(Closed::closedAtMillis).reversed());
    List<Closed> beyond = new ArrayList<>();
    for (int i = 0; i < closed.size(); i++) {
      Closed c = closed.get(i);
      if (i >= retention.closedWorkflows() || c.closedAtMillis() < oldest) {
        beyond.add(c);
      }
    }
    return withoutHeld(beyond);
  }

  /**
   * {@code beyond} (newest first) less the workflows {@link #holds} keeps, at most {@link
   * EmbeddedTemporal.Retention#heldMax()} of them, the newest. Asked outside the engine's locks.
   */
  private List<Object> withoutHeld(List<Closed> beyond) {
    EmbeddedTemporal.Holds h = holds;
    List<Object> drop = new ArrayList<>(beyond.size());
    if (h == null || beyond.isEmpty() || retention.heldMax() == 0) {
      beyond.forEach(c -> drop.add(c.id()));
      return drop;
    }
    Set<String> ids = new java.util.LinkedHashSet<>();
    beyond.forEach(c -> ids.add(c.workflowId()));
    java.util.function.Predicate<String> held;
    try {
      Set<String> kept = Set.copyOf(h.heldAmong(List.copyOf(ids)));
      held = kept::contains;
    } catch (RuntimeException e) {
      // Not knowing which are archived, keep every one the bound allows rather than lose them.
      LOG.warn("could not ask which closed workflows are archived ({}); dropping only beyond the bound", e.toString());
      held = id -> true;
    }
    int kept = 0;
    int dropped = 0;
    for (Closed c : beyond) {
      if (held.test(c.workflowId())) {
        if (kept < retention.heldMax()) {
          kept++;
          continue;
        }
        dropped++;
      }
      drop.add(c.id());
    }
    if (dropped > 0) {
      LOG.warn(
          "dropped {} closed workflow(s) whose history was not archived yet: more than {} were waiting "
              + "(temporal.embeddedHeldForArchive); their traces answer history_unavailable",
          dropped,
          retention.heldMax());
    }
    return drop;
  }

  private void dropCancelledTimers() {
    timerLock.lock();
    try {
      if (timerTasks.removeIf(this::cancelled)) {
        // The pump re-reads the queue (and takes its empty-queue lock when it is now empty) as it
        // does after polling a cancelled task itself.
        timerCondition.signal();
      }
    } finally {
      timerLock.unlock();
    }
  }

  private boolean cancelled(Object timerTask) {
    try {
      return timerTaskCanceled.getBoolean(timerTask);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  int workflowsHeld() {
    serviceLock.lock();
    try {
      return executions.size();
    } finally {
      serviceLock.unlock();
    }
  }

  int timersHeld() {
    timerLock.lock();
    try {
      return timerTasks.size();
    } finally {
      timerLock.unlock();
    }
  }

  int lockEventsHeld() {
    timerLock.lock();
    try {
      return lockEvents.size();
    } finally {
      timerLock.unlock();
    }
  }

  private static Object get(Object target, String name) throws ReflectiveOperationException {
    Object value = accessible(target.getClass().getDeclaredField(name)).get(target);
    if (value == null) {
      throw new NoSuchFieldException(target.getClass().getSimpleName() + "." + name + " is null");
    }
    return value;
  }

  private static Field accessible(Field f) {
    f.setAccessible(true);
    return f;
  }

  /**
   * The timer's lock-event list, bounded: keeps the newest {@code max} entries, and removes an
   * entry by scanning from the newest end. Only ever used under the timer's lock (as the list it
   * replaces was).
   */
  static final class BoundedLockEvents extends LinkedList<Object> {
    private final int max;
    private long dropped;

    BoundedLockEvents(int max) {
      this.max = max;
    }

    void adopt(LinkedList<?> existing) {
      for (Object e : existing) {
        add(e);
      }
    }

    @Override
    public boolean add(Object e) {
      super.add(e);
      while (size() > max) {
        removeFirst();
        dropped++;
      }
      return true;
    }

    /**
     * Removes a lock handle's entry. Once older entries have been dropped, a missing entry is
     * taken to be one of them and the removal counts as done (the server would otherwise throw
     * "Unbalanced lock and unlock calls" for an entry this list chose to forget).
     */
    @Override
    public boolean remove(Object o) {
      return removeLastOccurrence(o) || dropped > 0;
    }
  }
}
