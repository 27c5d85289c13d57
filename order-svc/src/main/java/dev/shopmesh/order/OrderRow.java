package dev.shopmesh.order;

import dev.shopmesh.order.v1.LineItem;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.platform.Protos;
import dev.shopmesh.platform.db.Rows;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.mapper.RowMapper;

/** A row of the orders table. Its lines live in order_items. */
public record OrderRow(
    UUID orderId,
    UUID userId,
    String currencyCode,
    long totalMinor,
    String state,
    UUID paymentId,
    String failureReason,
    UUID requestId,
    byte[] requestHash,
    boolean refundPending,
    Instant createTime,
    Instant updateTime) {

  /** Reads an orders row. Written out: Jdbi's reflective mappers re-match columns on every query. */
  static final RowMapper<OrderRow> MAPPER =
      (rs, ctx) ->
          new OrderRow(
              rs.getObject("order_id", UUID.class),
              rs.getObject("user_id", UUID.class),
              rs.getString("currency_code"),
              rs.getLong("total_minor"),
              rs.getString("state"),
              rs.getObject("payment_id", UUID.class),
              rs.getString("failure_reason"),
              rs.getObject("request_id", UUID.class),
              rs.getBytes("request_hash"),
              rs.getBoolean("refund_pending"),
              Rows.instant(rs, "create_time"),
              Rows.instant(rs, "update_time"));

  static final String PENDING_PAYMENT = "PENDING_PAYMENT";
  static final String CONFIRMED = "CONFIRMED";
  static final String PAYMENT_DECLINED = "PAYMENT_DECLINED";
  static final String CANCELLED = "CANCELLED";

  Order toProto(List<LineItem> items) {
    return Order.newBuilder()
        .setOrderId(orderId.toString())
        .setUserId(userId.toString())
        .addAllItems(items)
        .setCurrencyCode(currencyCode)
        .setTotalMinor(totalMinor)
        .setState(Order.State.valueOf(state))
        .setPaymentId(paymentId == null ? "" : paymentId.toString())
        .setFailureReason(failureReason)
        .setCreateTime(Protos.timestamp(createTime))
        .setUpdateTime(Protos.timestamp(updateTime))
        .build();
  }
}
