package dev.shopmesh.payment;

import dev.shopmesh.payment.v1.Payment;
import dev.shopmesh.platform.Protos;
import dev.shopmesh.platform.db.Rows;
import java.time.Instant;
import java.util.UUID;
import org.jdbi.v3.core.mapper.RowMapper;

/** A row of the payments table. */
public record PaymentRow(
    UUID paymentId,
    UUID orderId,
    UUID userId,
    long amountMinor,
    String currencyCode,
    String state,
    String declineReason,
    Instant createTime,
    Instant updateTime) {

  /** Reads a payments row. Written out: Jdbi's reflective mappers re-match columns on every query. */
  static final RowMapper<PaymentRow> MAPPER =
      (rs, ctx) ->
          new PaymentRow(
              rs.getObject("payment_id", UUID.class),
              rs.getObject("order_id", UUID.class),
              rs.getObject("user_id", UUID.class),
              rs.getLong("amount_minor"),
              rs.getString("currency_code"),
              rs.getString("state"),
              rs.getString("decline_reason"),
              Rows.instant(rs, "create_time"),
              Rows.instant(rs, "update_time"));

  /**
   * Whether this payment is the answer to {@code charge}: the payment it made, or made by an
   * earlier Charge of the same order, user, amount and currency. The DECLINED record that a
   * Refund leaves for an order never charged answers every later Charge of that order.
   */
  boolean answers(PaymentStore.ChargeRequest charge) {
    if (userId == null && state.equals("DECLINED") && PaymentStore.REFUND_BEFORE_CHARGE.equals(declineReason)) {
      return true;
    }
    return orderId.equals(charge.orderId())
        && charge.userId().equals(userId)
        && amountMinor == charge.amountMinor()
        && currencyCode.equals(charge.currencyCode());
  }

  Payment toProto() {
    return Payment.newBuilder()
        .setPaymentId(paymentId.toString())
        .setOrderId(orderId.toString())
        .setUserId(userId == null ? "" : userId.toString())
        .setAmountMinor(amountMinor)
        .setCurrencyCode(currencyCode)
        .setState(Payment.State.valueOf(state))
        .setDeclineReason(declineReason)
        .setCreateTime(Protos.timestamp(createTime))
        .setUpdateTime(Protos.timestamp(updateTime))
        .build();
  }
}
