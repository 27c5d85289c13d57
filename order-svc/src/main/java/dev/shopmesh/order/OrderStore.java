package dev.shopmesh.order;

import dev.shopmesh.order.v1.LineItem;
import dev.shopmesh.platform.auth.Caller;
import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.kafka.TraceContexts;
import dev.shopmesh.platform.paging.PageRequest;
import dev.shopmesh.platform.db.Rows;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

/**
 * The orders tables. Every state change is a conditional UPDATE on the state it starts from, so
 * a saga, a cancellation and a reconciler that race over one order cannot overwrite each other:
 * the loser sees no row and reloads.
 *
 * <p>Statements go through Jdbi's fluent API rather than SQL-object interfaces: attaching a SQL
 * object prepares every method of its interface on each call, which the profile of CreateOrder
 * showed as a fifth of order-svc's CPU (docs/PERFORMANCE.md).
 */
final class OrderStore {
  /** One line of an order, as order_items holds it. */
  record Line(UUID orderId, int line, String sku, int quantity, long unitPriceMinor) {
    static final RowMapper<Line> MAPPER =
        (rs, ctx) ->
            new Line(
                rs.getObject("order_id", UUID.class),
                rs.getInt("line"),
                rs.getString("sku"),
                rs.getInt("quantity"),
                rs.getLong("unit_price_minor"));
  }

  /** The order and its lines in one statement, so one round trip and one commit. */
  private static final String INSERT =
      """
      WITH o AS (
          INSERT INTO orders (order_id, user_id, currency_code, total_minor, state, request_id, request_hash)
          VALUES (:orderId, :userId, :currencyCode, :totalMinor, 'PENDING_PAYMENT', :requestId, :requestHash)
          ON CONFLICT (request_id) DO NOTHING
          RETURNING *
      ), lines AS (
          INSERT INTO order_items (order_id, line, sku, quantity, unit_price_minor)
          SELECT o.order_id, t.n - 1, t.sku, t.quantity, t.price
          FROM o, unnest(:skus, :quantities, :prices) WITH ORDINALITY AS t(sku, quantity, price, n)
      )
      SELECT * FROM o
      """;
  private static final String BY_ID = "SELECT * FROM orders WHERE order_id = :orderId";
  private static final String BY_REQUEST_ID = "SELECT * FROM orders WHERE request_id = :requestId";
  private static final String LINES =
      "SELECT * FROM order_items WHERE order_id = ANY(:orderIds) ORDER BY order_id, line";
  /** One order, if the caller may see it: an admin sees any, a customer only their own. */
  private static final String BY_ID_FOR_CALLER =
      "SELECT * FROM orders WHERE order_id = :orderId AND (:admin OR user_id = :caller)";
  private static final String PAGE =
      """
      SELECT * FROM orders WHERE order_id > :after AND (:admin OR user_id = :caller)
      ORDER BY order_id LIMIT :limit
      """;
  private static final String PAGE_OF_USER =
      """
      SELECT * FROM orders WHERE user_id = :userId AND order_id > :after AND (:admin OR user_id = :caller)
      ORDER BY order_id LIMIT :limit
      """;
  /**
   * The outbox row of a state change, inserted by the same statement as the change (so in the
   * same transaction) only when the change happened; {@code o} is the changed row.
   */
  private static final String OUTBOX =
      """
      , event AS (
          INSERT INTO order_outbox (event_id, order_id, user_id, sequence, type, order_state,
                                    total_minor, currency_code, failure_reason, traceparent, tracestate)
          SELECT :eventId, o.order_id, o.user_id, o.event_sequence, %s, o.state,
                 o.total_minor, o.currency_code, o.failure_reason, :traceparent, :tracestate
          FROM o WHERE %s
      )
      SELECT * FROM o
      """;
  private static final String SETTLE_PENDING =
      """
      WITH o AS (
          UPDATE orders SET state = :state, payment_id = :paymentId, failure_reason = :failureReason,
                            update_time = now(), event_sequence = event_sequence + 1
          WHERE order_id = :orderId AND state = 'PENDING_PAYMENT'
          RETURNING *
      )
      """
          + OUTBOX.formatted(
              "CASE o.state WHEN 'CONFIRMED' THEN 'ORDER_CONFIRMED' ELSE 'ORDER_DECLINED' END", "true");
  private static final String CANCEL =
      """
      WITH o AS (
          UPDATE orders SET state = 'CANCELLED', refund_pending = true, update_time = now(),
                            event_sequence = event_sequence + 1,
                            -- the refund is due now, whatever the charge's back-off was
                            attempts = 0, next_attempt_at = now()
          WHERE order_id = :orderId AND state IN ('PENDING_PAYMENT', 'CONFIRMED')
            AND (:admin OR user_id = :caller)
          RETURNING *
      )
      """
          + OUTBOX.formatted("'ORDER_CANCELLED'", "true");
  /** A refund that gave money back is an event; settling a refund with nothing captured is not. */
  private static final String REFUND_SETTLED =
      """
      WITH o AS (
          UPDATE orders SET refund_pending = false, payment_id = COALESCE(payment_id, :paymentId),
                            update_time = now(),
                            event_sequence = event_sequence + CASE WHEN CAST(:refunded AS uuid) IS NULL THEN 0 ELSE 1 END
          WHERE order_id = :orderId AND refund_pending
          RETURNING *
      )
      """
          + OUTBOX.formatted("'ORDER_REFUNDED'", "CAST(:refunded AS uuid) IS NOT NULL");
  /**
   * The reconciler's claim: the due unsettled orders, oldest due first, each moved a lease
   * ahead in the same statement (and so committed before any remote call). SKIP LOCKED: two
   * replicas claiming at once split the due orders rather than wait for each other.
   */
  private static final String CLAIM_DUE =
      """
      WITH due AS (
          SELECT order_id FROM orders
          WHERE ((state = 'PENDING_PAYMENT'
                  AND update_time < now() - make_interval(secs => :minAgeSeconds))
                 OR refund_pending)
            AND next_attempt_at <= now()
          ORDER BY next_attempt_at
          LIMIT :limit
          FOR UPDATE SKIP LOCKED
      )
      UPDATE orders o SET next_attempt_at = now() + make_interval(secs => :leaseSeconds),
                          attempts = o.attempts + 1
      FROM due WHERE o.order_id = due.order_id
      RETURNING o.*
      """;
  /** A failed attempt: the order goes back in the queue, unless someone re-queued it meanwhile. */
  private static final String BACK_OFF =
      """
      UPDATE orders SET next_attempt_at = now() + make_interval(secs => :delaySeconds)
      WHERE order_id = :orderId AND next_attempt_at = :leaseUntil
        AND (state = 'PENDING_PAYMENT' OR refund_pending)
      """;
  private static final String FAILING_COUNT =
      """
      SELECT count(*) FROM orders
      WHERE (state = 'PENDING_PAYMENT' OR refund_pending) AND attempts >= :attempts
      """;
  private static final String UNSETTLED_COUNT =
      "SELECT count(*) FROM orders WHERE state = 'PENDING_PAYMENT' OR refund_pending";

  private final Jdbi jdbi;
  private final Handle transaction; // set when this store belongs to one transaction

  OrderStore(Jdbi jdbi) {
    this(
        jdbi.registerRowMapper(OrderRow.class, OrderRow.MAPPER).registerRowMapper(Line.class, Line.MAPPER),
        null);
  }

  private OrderStore(Jdbi jdbi, Handle transaction) {
    this.jdbi = jdbi;
    this.transaction = transaction;
  }

  /** Runs {@code work} in one transaction, with a store whose statements all belong to it. */
  <T> T inTransaction(Function<OrderStore, T> work) {
    return jdbi.inTransaction(h -> work.apply(new OrderStore(jdbi, h)));
  }

  private <T> T with(HandleCallback<T, RuntimeException> work) {
    return transaction != null ? work.withHandle(transaction) : jdbi.withHandle(work);
  }

  private Optional<OrderRow> one(String sql, Function<Query, Query> bind) {
    return with(h -> bind.apply(h.createQuery(sql)).mapTo(OrderRow.class).findOne());
  }

  /** What became of an insert: the new order, or the earlier one that holds its request_id. */
  record Insert(OrderRow order, boolean created) {}

  /** Records a PENDING_PAYMENT order with its lines, unless its request_id was used before. */
  Insert insertPending(UUID orderId, NewOrder order, Optional<UUID> requestId) {
    List<LineItem> items = order.items();
    Optional<OrderRow> inserted =
        one(
            INSERT,
            q ->
                q.bind("orderId", orderId)
                    .bind("userId", order.userId())
                    .bind("currencyCode", order.currencyCode())
                    .bind("totalMinor", order.totalMinor())
                    .bindByType("requestId", requestId.orElse(null), UUID.class)
                    .bind("requestHash", order.fingerprint())
                    .bindArray("skus", String.class, items.stream().map(LineItem::getSku).toList())
                    .bindArray("quantities", Integer.class, items.stream().map(LineItem::getQuantity).toList())
                    .bindArray("prices", Long.class, items.stream().map(LineItem::getUnitPriceMinor).toList()));
    return inserted
        .map(row -> new Insert(row, true))
        // The unique request_id held: a twin of this request got there first.
        .orElseGet(() -> new Insert(byRequestId(requestId.orElseThrow()).orElseThrow(), false));
  }

  Optional<OrderRow> get(UUID orderId) {
    return one(BY_ID, q -> q.bind("orderId", orderId));
  }

  /** The order, if {@code caller} may see it. */
  Optional<OrderRow> get(UUID orderId, Caller caller) {
    return one(
        BY_ID_FOR_CALLER,
        q -> q.bind("orderId", orderId).bind("caller", caller.userId()).bind("admin", caller.isAdmin()));
  }

  Optional<OrderRow> byRequestId(UUID requestId) {
    return one(BY_REQUEST_ID, q -> q.bind("requestId", requestId));
  }

  List<LineItem> items(UUID orderId) {
    return items(List.of(orderId)).getOrDefault(orderId, List.of());
  }

  /** The lines of each of {@code orderIds}, in order. */
  Map<UUID, List<LineItem>> items(List<UUID> orderIds) {
    if (orderIds.isEmpty()) {
      return Map.of();
    }
    List<Line> lines =
        with(h -> h.createQuery(LINES).bindArray("orderIds", UUID.class, orderIds).mapTo(Line.class).list());
    return lines.stream()
        .collect(Collectors.groupingBy(Line::orderId, Collectors.mapping(OrderStore::item, Collectors.toList())));
  }

  /** Moves a PENDING_PAYMENT order to {@code state}; empty when it had left PENDING_PAYMENT. */
  Optional<OrderRow> settlePending(UUID orderId, String state, UUID paymentId, String reason) {
    return one(
        SETTLE_PENDING,
        q -> event(q).bind("orderId", orderId).bind("state", state).bind("paymentId", paymentId).bind("failureReason", reason));
  }

  /**
   * Cancels a PENDING_PAYMENT or CONFIRMED order of {@code caller}'s (any, for an admin); empty
   * when it was in neither state or is not theirs.
   */
  Optional<OrderRow> cancel(UUID orderId, Caller caller) {
    return one(
        CANCEL,
        q -> event(q).bind("orderId", orderId).bind("caller", caller.userId()).bind("admin", caller.isAdmin()));
  }

  /**
   * Notes that no money stays captured for a cancelled order; {@code refundedPaymentId} is the
   * payment that was refunded, or null when none had captured money (then there is no event).
   */
  Optional<OrderRow> refundSettled(UUID orderId, UUID refundedPaymentId) {
    return one(
        REFUND_SETTLED,
        q ->
            event(q)
                .bind("orderId", orderId)
                .bindByType("paymentId", refundedPaymentId, UUID.class)
                .bindByType("refunded", refundedPaymentId, UUID.class));
  }

  /** The outbox row's own values: a new event id and the trace of the call making the change. */
  private static Query event(Query q) {
    TraceContexts.W3c trace = TraceContexts.current();
    return q.bind("eventId", Ids.newId()).bind("traceparent", trace.traceparent()).bind("tracestate", trace.tracestate());
  }

  /** An order the reconciler claimed: its attempt number, and until when the claim holds. */
  record Claim(OrderRow order, int attempts, Instant leaseUntil) {
    static final RowMapper<Claim> MAPPER =
        (rs, ctx) ->
            new Claim(
                OrderRow.MAPPER.map(rs, ctx), rs.getInt("attempts"), Rows.instant(rs, "next_attempt_at"));
  }

  /** Claims up to {@code limit} due orders for {@code lease} (see {@link #CLAIM_DUE}). */
  List<Claim> claimDue(Duration minAge, Duration lease, int limit) {
    return with(
        h ->
            h.createQuery(CLAIM_DUE)
                .bind("minAgeSeconds", minAge.toMillis() / 1000.0)
                .bind("leaseSeconds", lease.toMillis() / 1000.0)
                .bind("limit", limit)
                .map(Claim.MAPPER)
                .list());
  }

  /** Puts a claimed order back in the queue, due after {@code delay}. */
  void backOff(Claim claim, Duration delay) {
    with(
        h ->
            h.createUpdate(BACK_OFF)
                .bind("orderId", claim.order().orderId())
                .bind("leaseUntil", claim.leaseUntil().atOffset(ZoneOffset.UTC))
                .bind("delaySeconds", delay.toMillis() / 1000.0)
                .execute());
  }

  long unsettledCount() {
    return with(h -> h.createQuery(UNSETTLED_COUNT).mapTo(Long.class).one());
  }

  /** Unsettled orders that have had at least {@code attempts} attempts. */
  long failingCount(int attempts) {
    return with(h -> h.createQuery(FAILING_COUNT).bind("attempts", attempts).mapTo(Long.class).one());
  }

  /** A page of the orders {@code caller} may see (of {@code userId} only, when given). */
  List<OrderRow> page(Optional<UUID> userId, PageRequest paging, Caller caller) {
    return with(
        h -> {
          Query query =
              h.createQuery(userId.isPresent() ? PAGE_OF_USER : PAGE)
                  .bind("after", paging.afterOrStart())
                  .bind("limit", paging.fetchLimit())
                  .bind("caller", caller.userId())
                  .bind("admin", caller.isAdmin());
          userId.ifPresent(id -> query.bind("userId", id));
          return query.mapTo(OrderRow.class).list();
        });
  }

  private static LineItem item(Line line) {
    return LineItem.newBuilder()
        .setSku(line.sku())
        .setQuantity(line.quantity())
        .setUnitPriceMinor(line.unitPriceMinor())
        .build();
  }
}
