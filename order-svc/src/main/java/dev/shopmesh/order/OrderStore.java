package dev.shopmesh.order;

import dev.shopmesh.order.v1.LineItem;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/**
 * The orders tables. Every state change is a conditional UPDATE on the state it starts from, so
 * a saga, a cancellation and a reconciler that race over one order cannot overwrite each other:
 * the loser sees no row and reloads.
 */
final class OrderStore {
  private static final UUID BEFORE_ALL = new UUID(0, 0);

  /** One line of an order, as order_items holds it. */
  public record Line(UUID orderId, int line, String sku, int quantity, long unitPriceMinor) {}

  @RegisterConstructorMapper(OrderRow.class)
  @RegisterConstructorMapper(Line.class)
  interface Dao {
    @SqlQuery(
        """
        INSERT INTO orders (order_id, user_id, currency_code, total_minor, state, request_id, request_hash)
        VALUES (:orderId, :userId, :currencyCode, :totalMinor, 'PENDING_PAYMENT', :requestId, :requestHash)
        ON CONFLICT (request_id) DO NOTHING
        RETURNING *
        """)
    Optional<OrderRow> insert(
        UUID orderId,
        UUID userId,
        String currencyCode,
        long totalMinor,
        UUID requestId,
        byte[] requestHash);

    @SqlBatch(
        """
        INSERT INTO order_items (order_id, line, sku, quantity, unit_price_minor)
        VALUES (:orderId, :line, :sku, :quantity, :unitPriceMinor)
        """)
    void insertLines(@BindMethods List<Line> lines);

    @SqlQuery("SELECT * FROM orders WHERE order_id = :orderId")
    Optional<OrderRow> byId(UUID orderId);

    @SqlQuery("SELECT * FROM orders WHERE request_id = :requestId")
    Optional<OrderRow> byRequestId(UUID requestId);

    @SqlQuery("SELECT * FROM order_items WHERE order_id = ANY(:orderIds) ORDER BY order_id, line")
    List<Line> lines(UUID[] orderIds);

    @SqlQuery("SELECT * FROM orders WHERE order_id > :after ORDER BY order_id LIMIT :limit")
    List<OrderRow> page(UUID after, int limit);

    @SqlQuery(
        """
        SELECT * FROM orders WHERE user_id = :userId AND order_id > :after
        ORDER BY order_id LIMIT :limit
        """)
    List<OrderRow> pageOfUser(UUID userId, UUID after, int limit);

    @SqlQuery(
        """
        UPDATE orders SET state = :state, payment_id = :paymentId, failure_reason = :failureReason,
                          update_time = now()
        WHERE order_id = :orderId AND state = 'PENDING_PAYMENT'
        RETURNING *
        """)
    Optional<OrderRow> settlePending(UUID orderId, String state, UUID paymentId, String failureReason);

    @SqlQuery(
        """
        UPDATE orders SET state = 'CANCELLED', refund_pending = true, update_time = now()
        WHERE order_id = :orderId AND state IN ('PENDING_PAYMENT', 'CONFIRMED')
        RETURNING *
        """)
    Optional<OrderRow> cancel(UUID orderId);

    @SqlQuery(
        """
        UPDATE orders SET refund_pending = false, payment_id = COALESCE(payment_id, :paymentId),
                          update_time = now()
        WHERE order_id = :orderId AND refund_pending
        RETURNING *
        """)
    Optional<OrderRow> refundSettled(UUID orderId, UUID paymentId);

    @SqlQuery(
        """
        SELECT order_id FROM orders
        WHERE (state = 'PENDING_PAYMENT' AND update_time < now() - make_interval(secs => :minAgeSeconds))
           OR refund_pending
        ORDER BY update_time LIMIT :limit
        """)
    List<UUID> unsettled(double minAgeSeconds, int limit);

    @SqlQuery(
        """
        SELECT * FROM orders
        WHERE order_id = :orderId AND (state = 'PENDING_PAYMENT' OR refund_pending)
        FOR UPDATE SKIP LOCKED
        """)
    Optional<OrderRow> lockUnsettled(UUID orderId);

    @SqlQuery(
        """
        SELECT count(*) FROM orders WHERE state = 'PENDING_PAYMENT' OR refund_pending
        """)
    long unsettledCount();
  }

  private final Jdbi jdbi;
  private final Dao dao;

  OrderStore(Jdbi jdbi) {
    this.jdbi = jdbi;
    this.dao = jdbi.onDemand(Dao.class);
  }

  private OrderStore(Jdbi jdbi, Dao dao) {
    this.jdbi = jdbi;
    this.dao = dao;
  }

  /** Runs {@code work} in one transaction, with a store whose statements all belong to it. */
  <T> T inTransaction(Function<OrderStore, T> work) {
    return jdbi.inTransaction(h -> work.apply(new OrderStore(jdbi, h.attach(Dao.class))));
  }

  /** What became of an insert: the new order, or the earlier one that holds its request_id. */
  record Insert(OrderRow order, boolean created) {}

  /** Records a PENDING_PAYMENT order with its lines, unless its request_id was used before. */
  Insert insertPending(UUID orderId, NewOrder order, Optional<UUID> requestId) {
    byte[] hash = order.fingerprint();
    return inTransaction(
        tx -> {
          Optional<OrderRow> inserted =
              tx.dao.insert(
                  orderId,
                  order.userId(),
                  order.currencyCode(),
                  order.totalMinor(),
                  requestId.orElse(null),
                  hash);
          if (inserted.isEmpty()) {
            // The unique request_id held: a twin of this request got there first.
            return new Insert(tx.dao.byRequestId(requestId.orElseThrow()).orElseThrow(), false);
          }
          List<LineItem> items = order.items();
          tx.dao.insertLines(
              IntStream.range(0, items.size())
                  .mapToObj(i -> line(orderId, i, items.get(i)))
                  .toList());
          return new Insert(inserted.get(), true);
        });
  }

  Optional<OrderRow> get(UUID orderId) {
    return dao.byId(orderId);
  }

  Optional<OrderRow> byRequestId(UUID requestId) {
    return dao.byRequestId(requestId);
  }

  List<LineItem> items(UUID orderId) {
    return items(List.of(orderId)).getOrDefault(orderId, List.of());
  }

  /** The lines of each of {@code orderIds}, in order. */
  Map<UUID, List<LineItem>> items(List<UUID> orderIds) {
    return dao.lines(orderIds.toArray(UUID[]::new)).stream()
        .collect(
            Collectors.groupingBy(
                Line::orderId, Collectors.mapping(OrderStore::item, Collectors.toList())));
  }

  /** Moves a PENDING_PAYMENT order to {@code state}; empty when it had left PENDING_PAYMENT. */
  Optional<OrderRow> settlePending(UUID orderId, String state, UUID paymentId, String reason) {
    return dao.settlePending(orderId, state, paymentId, reason);
  }

  /** Cancels a PENDING_PAYMENT or CONFIRMED order; empty when it was in neither state. */
  Optional<OrderRow> cancel(UUID orderId) {
    return dao.cancel(orderId);
  }

  /** Notes that no money stays captured for a cancelled order. */
  Optional<OrderRow> refundSettled(UUID orderId, UUID refundedPaymentId) {
    return dao.refundSettled(orderId, refundedPaymentId);
  }

  /** Orders the reconciler should finish, oldest first. */
  List<UUID> unsettled(Duration minAge, int limit) {
    return dao.unsettled(minAge.toMillis() / 1000.0, limit);
  }

  long unsettledCount() {
    return dao.unsettledCount();
  }

  /** Locks an unsettled order for this transaction, unless another one holds it. */
  Optional<OrderRow> lockUnsettled(UUID orderId) {
    return dao.lockUnsettled(orderId);
  }

  List<OrderRow> page(Optional<UUID> userId, Optional<UUID> after, int limit) {
    UUID from = after.orElse(BEFORE_ALL);
    return userId.isPresent() ? dao.pageOfUser(userId.get(), from, limit) : dao.page(from, limit);
  }

  private static Line line(UUID orderId, int index, LineItem item) {
    return new Line(orderId, index, item.getSku(), item.getQuantity(), item.getUnitPriceMinor());
  }

  private static LineItem item(Line line) {
    return LineItem.newBuilder()
        .setSku(line.sku())
        .setQuantity(line.quantity())
        .setUnitPriceMinor(line.unitPriceMinor())
        .build();
  }
}
