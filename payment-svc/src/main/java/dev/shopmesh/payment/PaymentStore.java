package dev.shopmesh.payment;

import dev.shopmesh.platform.Ids;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/**
 * The payments table. The unique key on order_id makes one payment per order a fact of the
 * database, so Charge and Refund stay correct under retries and races without locks.
 */
final class PaymentStore {
  static final String REFUND_BEFORE_CHARGE = "order cancelled before it was charged";
  private static final UUID BEFORE_ALL = new UUID(0, 0);

  @RegisterConstructorMapper(PaymentRow.class)
  interface Dao {
    @SqlQuery(
        """
        INSERT INTO payments
            (payment_id, order_id, user_id, amount_minor, currency_code, state, decline_reason)
        VALUES (:paymentId, :orderId, :userId, :amountMinor, :currencyCode, :state, :declineReason)
        ON CONFLICT (order_id) DO NOTHING
        RETURNING *
        """)
    Optional<PaymentRow> insert(
        UUID paymentId,
        UUID orderId,
        UUID userId,
        long amountMinor,
        String currencyCode,
        String state,
        String declineReason);

    @SqlQuery(
        """
        UPDATE payments SET state = 'REFUNDED', update_time = now()
        WHERE order_id = :orderId AND state = 'CAPTURED'
        RETURNING *
        """)
    Optional<PaymentRow> refundCaptured(UUID orderId);

    @SqlQuery("SELECT * FROM payments WHERE payment_id = :paymentId")
    Optional<PaymentRow> byId(UUID paymentId);

    @SqlQuery("SELECT * FROM payments WHERE order_id = :orderId")
    Optional<PaymentRow> byOrder(UUID orderId);

    @SqlQuery("SELECT * FROM payments WHERE payment_id > :after ORDER BY payment_id LIMIT :limit")
    List<PaymentRow> page(UUID after, int limit);

    @SqlQuery(
        """
        SELECT * FROM payments WHERE order_id = :orderId AND payment_id > :after
        ORDER BY payment_id LIMIT :limit
        """)
    List<PaymentRow> pageOfOrder(UUID orderId, UUID after, int limit);
  }

  /** What Charge asks for. */
  record ChargeRequest(UUID orderId, UUID userId, long amountMinor, String currencyCode) {}

  private final Dao dao;

  PaymentStore(Jdbi jdbi) {
    this.dao = jdbi.onDemand(Dao.class);
  }

  /**
   * Records the payment of an order once; any later call for the same order returns that first
   * payment unchanged, whatever it asks for.
   */
  PaymentRow charge(ChargeRequest request, Optional<String> declineReason) {
    return dao.insert(
            Ids.newId(),
            request.orderId(),
            request.userId(),
            request.amountMinor(),
            request.currencyCode(),
            declineReason.isPresent() ? "DECLINED" : "CAPTURED",
            declineReason.orElse(""))
        .or(() -> dao.byOrder(request.orderId()))
        .orElseThrow(() -> new IllegalStateException("payment of " + request.orderId() + " vanished"));
  }

  /**
   * Leaves no money captured for {@code orderId}: refunds a CAPTURED payment, and records a
   * DECLINED one of 0 when there is none yet, so that a late Charge cannot capture.
   */
  PaymentRow refund(UUID orderId) {
    // A concurrent Charge may insert between our two writes; then the loop refunds it.
    for (int attempt = 0; attempt < 3; attempt++) {
      Optional<PaymentRow> refunded = dao.refundCaptured(orderId);
      if (refunded.isPresent()) {
        return refunded.get();
      }
      Optional<PaymentRow> row =
          dao.insert(Ids.newId(), orderId, null, 0, "", "DECLINED", REFUND_BEFORE_CHARGE)
              .or(() -> dao.byOrder(orderId));
      if (row.isPresent() && !row.get().state().equals("CAPTURED")) {
        return row.get();
      }
    }
    throw new IllegalStateException("refund of " + orderId + " kept racing a charge");
  }

  Optional<PaymentRow> get(UUID paymentId) {
    return dao.byId(paymentId);
  }

  List<PaymentRow> page(Optional<UUID> orderId, Optional<UUID> after, int limit) {
    UUID from = after.orElse(BEFORE_ALL);
    return orderId.isPresent()
        ? dao.pageOfOrder(orderId.get(), from, limit)
        : dao.page(from, limit);
  }
}
