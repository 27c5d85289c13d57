package dev.shopmesh.payment;

import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.auth.Caller;
import dev.shopmesh.platform.paging.PageRequest;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * The payments table. The unique key on order_id makes one payment per order a fact of the
 * database, so Charge and Refund stay correct under retries and races without locks.
 */
final class PaymentStore {
  static final String REFUND_BEFORE_CHARGE = "order cancelled before it was charged";

  private static final String INSERT =
      """
      INSERT INTO payments
          (payment_id, order_id, user_id, amount_minor, currency_code, state, decline_reason)
      VALUES (:paymentId, :orderId, :userId, :amountMinor, :currencyCode, :state, :declineReason)
      ON CONFLICT (order_id) DO NOTHING
      RETURNING *
      """;
  private static final String REFUND_CAPTURED =
      """
      UPDATE payments SET state = 'REFUNDED', update_time = now()
      WHERE order_id = :orderId AND state = 'CAPTURED'
      RETURNING *
      """;
  private static final String BY_ID = "SELECT * FROM payments WHERE payment_id = :paymentId";
  private static final String BY_ORDER = "SELECT * FROM payments WHERE order_id = :orderId";
  /** Reads carry the caller: a customer's query can only match their own payments. */
  private static final String BY_ID_FOR_CALLER =
      "SELECT * FROM payments WHERE payment_id = :paymentId AND (:admin OR user_id = :caller)";
  private static final String PAGE =
      """
      SELECT * FROM payments WHERE payment_id > :after AND (:admin OR user_id = :caller)
      ORDER BY payment_id LIMIT :limit
      """;
  private static final String PAGE_OF_ORDER =
      """
      SELECT * FROM payments WHERE order_id = :orderId AND payment_id > :after AND (:admin OR user_id = :caller)
      ORDER BY payment_id LIMIT :limit
      """;

  /** What Charge asks for. */
  record ChargeRequest(UUID orderId, UUID userId, long amountMinor, String currencyCode) {}

  private final Jdbi jdbi;

  PaymentStore(Jdbi jdbi) {
    this.jdbi = jdbi.registerRowMapper(PaymentRow.class, PaymentRow.MAPPER);
  }

  private Optional<PaymentRow> insert(
      UUID orderId, UUID userId, long amountMinor, String currency, String state, String reason) {
    return jdbi.withHandle(
        h ->
            h.createQuery(INSERT)
                .bind("paymentId", Ids.newId())
                .bind("orderId", orderId)
                .bindByType("userId", userId, UUID.class)
                .bind("amountMinor", amountMinor)
                .bind("currencyCode", currency)
                .bind("state", state)
                .bind("declineReason", reason)
                .mapTo(PaymentRow.class)
                .findOne());
  }

  private Optional<PaymentRow> one(String sql, String name, UUID value) {
    return jdbi.withHandle(h -> h.createQuery(sql).bind(name, value).mapTo(PaymentRow.class).findOne());
  }

  /**
   * Records the payment of an order once; any later call for the same order returns that first
   * payment unchanged (PaymentApi refuses it when it asked for something else).
   */
  PaymentRow charge(ChargeRequest request, Optional<String> declineReason) {
    return insert(
            request.orderId(),
            request.userId(),
            request.amountMinor(),
            request.currencyCode(),
            declineReason.isPresent() ? "DECLINED" : "CAPTURED",
            declineReason.orElse(""))
        .or(() -> one(BY_ORDER, "orderId", request.orderId()))
        .orElseThrow(() -> new IllegalStateException("payment of " + request.orderId() + " vanished"));
  }

  /**
   * Leaves no money captured for {@code orderId}: refunds a CAPTURED payment, and records a
   * DECLINED one of 0 when there is none yet, so that a late Charge cannot capture.
   */
  PaymentRow refund(UUID orderId) {
    // A concurrent Charge may insert between our two writes; then the loop refunds it.
    for (int attempt = 0; attempt < 3; attempt++) {
      Optional<PaymentRow> refunded = one(REFUND_CAPTURED, "orderId", orderId);
      if (refunded.isPresent()) {
        return refunded.get();
      }
      Optional<PaymentRow> row =
          insert(orderId, null, 0, "", "DECLINED", REFUND_BEFORE_CHARGE)
              .or(() -> one(BY_ORDER, "orderId", orderId));
      if (row.isPresent() && !row.get().state().equals("CAPTURED")) {
        return row.get();
      }
    }
    throw new IllegalStateException("refund of " + orderId + " kept racing a charge");
  }

  Optional<PaymentRow> get(UUID paymentId) {
    return one(BY_ID, "paymentId", paymentId);
  }

  /** The payment, if {@code caller} may see it: an admin any, a customer their own. */
  Optional<PaymentRow> get(UUID paymentId, Caller caller) {
    return jdbi.withHandle(
        h -> h.createQuery(BY_ID_FOR_CALLER)
            .bind("paymentId", paymentId)
            .bind("caller", caller.userId())
            .bind("admin", caller.isAdmin())
            .mapTo(PaymentRow.class)
            .findOne());
  }

  List<PaymentRow> page(Optional<UUID> orderId, PageRequest paging, Caller caller) {
    return jdbi.withHandle(
        h -> {
          var query =
              h.createQuery(orderId.isPresent() ? PAGE_OF_ORDER : PAGE)
                  .bind("after", paging.afterOrStart())
                  .bind("limit", paging.fetchLimit())
                  .bind("caller", caller.userId())
                  .bind("admin", caller.isAdmin());
          orderId.ifPresent(id -> query.bind("orderId", id));
          return query.mapTo(PaymentRow.class).list();
        });
  }
}
