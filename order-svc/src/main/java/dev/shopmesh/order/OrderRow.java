package dev.shopmesh.order;

import dev.shopmesh.order.v1.LineItem;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.platform.Protos;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

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
