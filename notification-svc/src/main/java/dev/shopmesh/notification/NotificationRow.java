package dev.shopmesh.notification;

import dev.shopmesh.events.v1.OrderEvent;
import dev.shopmesh.notification.v1.Notification;
import dev.shopmesh.platform.Protos;
import dev.shopmesh.platform.db.Rows;
import java.time.Instant;
import java.util.UUID;
import org.jdbi.v3.core.mapper.RowMapper;

/** A row of the notifications table: one thing a user was told, from one order event. */
public record NotificationRow(
    UUID notificationId,
    UUID eventId,
    UUID userId,
    UUID orderId,
    long sequence,
    String kind,
    String message,
    Instant occurTime,
    Instant createTime) {

  static final RowMapper<NotificationRow> MAPPER =
      (rs, ctx) ->
          new NotificationRow(
              rs.getObject("notification_id", UUID.class),
              rs.getObject("event_id", UUID.class),
              rs.getObject("user_id", UUID.class),
              rs.getObject("order_id", UUID.class),
              rs.getLong("sequence"),
              rs.getString("kind"),
              rs.getString("message"),
              Rows.instant(rs, "occur_time"),
              Rows.instant(rs, "create_time"));

  Notification toProto() {
    return Notification.newBuilder()
        .setNotificationId(notificationId.toString())
        .setUserId(userId.toString())
        .setOrderId(orderId.toString())
        .setKind(Notification.Kind.valueOf(kind))
        .setMessage(message)
        .setEventId(eventId.toString())
        .setSequence(sequence)
        .setOccurTime(Protos.timestamp(occurTime))
        .setCreateTime(Protos.timestamp(createTime))
        .build();
  }

  /** What the customer is told about {@code event}. */
  static String text(OrderEvent event) {
    String amount = amount(event.getTotalMinor(), event.getCurrencyCode());
    String order = "Your order " + event.getOrderId() + " of " + amount;
    return switch (event.getType()) {
      case ORDER_CONFIRMED -> order + " is confirmed: the payment went through.";
      case ORDER_DECLINED -> order + " could not be paid: the payment was declined.";
      case ORDER_CANCELLED -> order + " is cancelled.";
      case ORDER_REFUNDED -> order + " was refunded.";
      default -> throw new IllegalArgumentException("no text for event type " + event.getType());
    };
  }

  private static String amount(long minor, String currency) {
    return String.format(java.util.Locale.ROOT, "%d.%02d %s", minor / 100, Math.abs(minor % 100), currency);
  }
}
