package dev.shopmesh.payment;

import dev.shopmesh.payment.v1.Payment;
import dev.shopmesh.platform.Protos;
import java.time.Instant;
import java.util.UUID;

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
