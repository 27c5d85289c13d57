package dev.shopmesh.order;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.telemetry.Telemetry;
import io.grpc.ManagedChannel;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes what the saga could not: orders left PENDING_PAYMENT (payment-svc was down, or the
 * answer was lost) are charged and settled, and cancelled orders whose refund did not go through
 * are refunded, both through the idempotent Charge and Refund.
 *
 * <p>Each order is taken under a row lock with {@code FOR UPDATE SKIP LOCKED}, inside its own
 * transaction: replicas running this at the same time split the backlog instead of working one
 * order twice, and a replica that dies mid-order releases its lock with its connection.
 */
final class Reconciler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

  /**
   * @param enabled {@code RECONCILE_ENABLED}
   * @param interval {@code RECONCILE_INTERVAL}: pause between passes
   * @param minAge {@code RECONCILE_MIN_AGE}: a pending order younger than this is still the
   *     saga's own business
   * @param batch {@code RECONCILE_BATCH}: orders looked at per pass
   */
  record Settings(boolean enabled, Duration interval, Duration minAge, int batch) {
    static Settings from(Env env) {
      return new Settings(
          env.bool("RECONCILE_ENABLED", true),
          env.duration("RECONCILE_INTERVAL", Duration.ofSeconds(5)),
          env.duration("RECONCILE_MIN_AGE", Duration.ofSeconds(10)),
          env.integer("RECONCILE_BATCH", 100, 1, 10_000));
    }
  }

  private final OrderStore store;
  private final OrderSaga saga;
  private final Settings settings;
  private final List<ManagedChannel> peers;
  private final AtomicLong fixed = new AtomicLong();
  private final Tracer tracer;
  private final LongCounter settled;
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
    meter
        .gaugeBuilder("shopmesh.reconciler.backlog")
        .setDescription("Orders pending payment or with a refund pending")
        .setUnit("{order}")
        .ofLongs()
        .buildWithCallback(m -> m.record(store.unsettledCount()));
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

  /** One pass over the backlog; returns how many orders it moved forward. */
  int pass() {
    List<UUID> backlog = store.unsettled(settings.minAge(), settings.batch());
    if (backlog.isEmpty()) {
      return 0; // nothing to show: an idle pass leaves no trace
    }
    wakePeers();
    Span span =
        tracer
            .spanBuilder("reconciler pass")
            .setNoParent()
            .setAttribute("reconciler.backlog", backlog.size())
            .startSpan();
    int moved = 0;
    try (Scope scope = span.makeCurrent()) {
      for (UUID orderId : backlog) {
        if (store.inTransaction(tx -> finish(tx, orderId))) {
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

  private boolean finish(OrderStore tx, UUID orderId) {
    Span span =
        tracer
            .spanBuilder("reconcile order")
            .setAttribute(OrderSaga.ORDER_ID, orderId.toString())
            .startSpan();
    try (Scope scope = span.makeCurrent()) {
      return finish(tx, orderId, span);
    } finally {
      span.end();
    }
  }

  private boolean finish(OrderStore tx, UUID orderId, Span span) {
    Optional<OrderRow> locked = tx.lockUnsettled(orderId);
    if (locked.isEmpty()) {
      span.setAttribute("reconciler.skipped", true);
      return false; // settled meanwhile, or another replica holds it
    }
    OrderRow before = locked.get();
    OrderRow after =
        before.refundPending() ? saga.refund(tx, before) : saga.charge(tx, before);
    boolean moved =
        !after.state().equals(before.state()) || after.refundPending() != before.refundPending();
    span.setAttribute(OrderSaga.ORDER_STATE, after.state());
    if (moved) {
      settled.add(1, Attributes.of(OrderSaga.ORDER_STATE, after.state()));
      log.info(
          "reconciled order {}: {}{} -> {}{}",
          orderId,
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
