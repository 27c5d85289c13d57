package dev.shopmesh.order;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.telemetry.Telemetry;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes what the saga could not: orders left PENDING_PAYMENT (payment-svc was down, or the
 * answer was lost) are charged and settled, and cancelled orders whose refund did not go through
 * are refunded, both through the idempotent Charge and Refund.
 *
 * <p><b>A queue with back-off.</b> Each unsettled order is due at its {@code next_attempt_at}.
 * A pass claims the due orders, oldest due first, in one short statement that moves each a
 * lease ({@code RECONCILE_LEASE}) ahead and commits: replicas running at the same time split
 * the backlog ({@code SKIP LOCKED}) instead of working one order twice, and an order whose
 * replica dies mid-call is due again when its lease runs out. The Charge or Refund then runs
 * with no transaction open and no pooled connection held; the saga settles the order in a
 * statement of its own. A failed attempt moves the order back by an exponential back-off with
 * jitter ({@code RECONCILE_BACKOFF} doubling per attempt, up to {@code RECONCILE_BACKOFF_MAX}),
 * so orders that keep failing go to the back of the queue and cannot starve newer ones.
 */
final class Reconciler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

  /**
   * @param enabled {@code RECONCILE_ENABLED}
   * @param interval {@code RECONCILE_INTERVAL}: pause between passes
   * @param minAge {@code RECONCILE_MIN_AGE}: a pending order younger than this is still the
   *     saga's own business
   * @param batch {@code RECONCILE_BATCH}: orders claimed per pass
   * @param lease {@code RECONCILE_LEASE}: how long a claim holds; longer than a Charge or
   *     Refund can take with its retries ({@code PAYMENT_SVC_TIMEOUT})
   * @param backOff {@code RECONCILE_BACKOFF}: the wait after a first failed attempt, doubled
   *     after each further one
   * @param maxBackOff {@code RECONCILE_BACKOFF_MAX}: the longest wait; also how long an order
   *     may wait, at worst, after payment-svc comes back
   */
  record Settings(
      boolean enabled,
      Duration interval,
      Duration minAge,
      int batch,
      Duration lease,
      Duration backOff,
      Duration maxBackOff) {
    static Settings from(Env env) {
      return new Settings(
          env.bool("RECONCILE_ENABLED", true),
          env.duration("RECONCILE_INTERVAL", Duration.ofSeconds(5)),
          env.duration("RECONCILE_MIN_AGE", Duration.ofSeconds(10)),
          env.integer("RECONCILE_BATCH", 100, 1, 10_000),
          env.duration("RECONCILE_LEASE", Duration.ofSeconds(30)),
          env.duration("RECONCILE_BACKOFF", Duration.ofSeconds(1)),
          env.duration("RECONCILE_BACKOFF_MAX", Duration.ofMinutes(1)));
    }

    /**
     * The wait after failed attempt number {@code attempts} (1 for the first): half of
     * {@code backOff * 2^(attempts-1)}, capped at {@code maxBackOff}, plus a random part of up
     * to the other half ("equal jitter"), so orders that failed together do not come due
     * together.
     */
    Duration backOffAfter(int attempts, double random) {
      long base = Math.max(1, backOff.toMillis());
      long exp = attempts >= 40 ? Long.MAX_VALUE : base << Math.max(0, Math.min(attempts - 1, 40));
      long capped = exp <= 0 ? maxBackOff.toMillis() : Math.min(exp, maxBackOff.toMillis());
      return Duration.ofMillis(capped / 2 + (long) (random * (capped - capped / 2)));
    }
  }

  /** Attempts after which an unsettled order counts as failing (the shopmesh.reconciler.failing gauge). */
  static final int FAILING_AFTER_ATTEMPTS = 3;

  private final OrderStore store;
  private final OrderSaga saga;
  private final Settings settings;
  private final List<ManagedChannel> peers;
  private final AtomicLong fixed = new AtomicLong();
  private final Tracer tracer;
  private final LongCounter settled;
  private final LongCounter failedAttempts;
  private ScheduledExecutorService scheduler;

  Reconciler(
      OrderStore store,
      OrderSaga saga,
      Settings settings,
      List<ManagedChannel> peers,
      Telemetry telemetry) {
    this.store = store;
    this.saga = saga;
    this.settings = settings;
    this.peers = peers;
    this.tracer = telemetry.tracer("dev.shopmesh.order");
    Meter meter = telemetry.meter("dev.shopmesh.order");
    this.settled =
        meter
            .counterBuilder("shopmesh.reconciler.settled")
            .setDescription("Orders the reconciler moved forward, by the state it left them in")
            .setUnit("{order}")
            .build();
    this.failedAttempts =
        meter
            .counterBuilder("shopmesh.reconciler.failed_attempts")
            .setDescription("Reconciler attempts that left the order where it was; it is retried after a back-off")
            .setUnit("{attempt}")
            .build();
    meter
        .gaugeBuilder("shopmesh.reconciler.backlog")
        .setDescription("Orders pending payment or with a refund pending")
        .setUnit("{order}")
        .ofLongs()
        .buildWithCallback(m -> m.record(store.unsettledCount()));
    meter
        .gaugeBuilder("shopmesh.reconciler.failing")
        .setDescription(
            "Unsettled orders the reconciler has tried " + FAILING_AFTER_ATTEMPTS + " times or more: they keep failing")
        .setUnit("{order}")
        .ofLongs()
        .buildWithCallback(m -> m.record(store.failingCount(FAILING_AFTER_ATTEMPTS)));
  }

  /** Starts the periodic passes, when enabled. */
  Reconciler start() {
    if (settings.enabled()) {
      scheduler =
          Executors.newSingleThreadScheduledExecutor(
              r -> Thread.ofPlatform().daemon().name("reconciler").unstarted(r));
      long every = settings.interval().toMillis();
      scheduler.scheduleWithFixedDelay(this::passQuietly, every, every, TimeUnit.MILLISECONDS);
    }
    return this;
  }

  /** Orders this reconciler has moved forward since it started. */
  long fixed() {
    return fixed.get();
  }

  private void passQuietly() {
    try {
      pass();
    } catch (RuntimeException e) {
      log.warn("reconciler pass failed: {}", e.toString());
    }
  }

  /**
   * Lets the peers' channels reconnect now. After a peer has been down for a while, gRPC waits
   * longer and longer (up to two minutes) before it tries to connect again; each pass cuts that
   * wait short, so a payment-svc that comes back is noticed within one interval.
   */
  void wakePeers() {
    peers.forEach(ManagedChannel::resetConnectBackoff);
  }

  /** One pass over the due orders; returns how many it moved forward. */
  int pass() {
    List<OrderStore.Claim> claimed = store.claimDue(settings.minAge(), settings.lease(), settings.batch());
    if (claimed.isEmpty()) {
      return 0; // nothing to show: an idle pass leaves no trace
    }
    wakePeers();
    Span span =
        tracer
            .spanBuilder("reconciler pass")
            .setNoParent()
            .setAttribute("reconciler.claimed", claimed.size())
            .startSpan();
    int moved = 0;
    try (Scope scope = span.makeCurrent()) {
      for (OrderStore.Claim claim : claimed) {
        if (finish(claim)) {
          moved++;
        }
      }
    } finally {
      span.setAttribute("reconciler.settled", moved);
      span.end();
    }
    fixed.addAndGet(moved);
    return moved;
  }

  private boolean finish(OrderStore.Claim claim) {
    Span span =
        tracer
            .spanBuilder("reconcile order")
            .setAttribute(OrderSaga.ORDER_ID, claim.order().orderId().toString())
            .setAttribute("reconciler.attempt", claim.attempts())
            .startSpan();
    try (Scope scope = span.makeCurrent()) {
      boolean moved = finish(claim, span);
      if (!moved) {
        Duration wait = settings.backOffAfter(claim.attempts(), ThreadLocalRandom.current().nextDouble());
        store.backOff(claim, wait);
        failedAttempts.add(1);
        span.setAttribute("reconciler.retry_in_ms", wait.toMillis());
        log.info(
            "order {} is still {} after attempt {}; next attempt in {} ms",
            claim.order().orderId(),
            claim.order().state(),
            claim.attempts(),
            wait.toMillis());
      }
      return moved;
    } finally {
      span.end();
    }
  }

  private boolean finish(OrderStore.Claim claim, Span span) {
    OrderRow before = claim.order();
    OrderRow after;
    try {
      after = before.refundPending() ? saga.refund(store, before) : saga.charge(store, before);
    } catch (StatusRuntimeException e) {
      // The saga refused payment-svc's answer (a payment that does not match the order).
      span.setAttribute("reconciler.refused", e.getStatus().getCode().name());
      return false;
    }
    boolean moved =
        !after.state().equals(before.state()) || after.refundPending() != before.refundPending();
    span.setAttribute(OrderSaga.ORDER_STATE, after.state());
    if (moved) {
      settled.add(1, Attributes.of(OrderSaga.ORDER_STATE, after.state()));
      log.info(
          "reconciled order {}: {}{} -> {}{}",
          before.orderId(),
          before.state(),
          before.refundPending() ? " (refund pending)" : "",
          after.state(),
          after.refundPending() ? " (refund pending)" : "");
    }
    return moved;
  }

  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      try {
        scheduler.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
