package dev.shopmesh.notification;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.shopmesh.events.v1.OrderEvent;
import dev.shopmesh.platform.Ids;
import java.util.UUID;

/** Reading an order event off the topic: what a record must hold to become a notification. */
final class OrderEvents {
  /** A record that is not a usable OrderEvent; it is parked, not retried. */
  static final class Poison extends Exception {
    Poison(String message) {
      super(message);
    }
  }

  /** A checked event: ids parsed, type known. */
  record Valid(OrderEvent event, UUID eventId, UUID orderId, UUID userId) {}

  private OrderEvents() {}

  static Valid parse(byte[] value) throws Poison {
    if (value == null) {
      throw new Poison("the record has no value");
    }
    OrderEvent event;
    try {
      event = OrderEvent.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new Poison("not an OrderEvent: " + e.getMessage());
    }
    UUID eventId = Ids.parse(event.getEventId()).orElseThrow(() -> new Poison("event_id is not an id: '" + event.getEventId() + "'"));
    UUID orderId = Ids.parse(event.getOrderId()).orElseThrow(() -> new Poison("order_id is not an id: '" + event.getOrderId() + "'"));
    UUID userId = Ids.parse(event.getUserId()).orElseThrow(() -> new Poison("user_id is not an id: '" + event.getUserId() + "'"));
    if (event.getSequence() <= 0) {
      throw new Poison("sequence must be positive, got " + event.getSequence());
    }
    switch (event.getType()) {
      case ORDER_CONFIRMED, ORDER_DECLINED, ORDER_CANCELLED, ORDER_REFUNDED -> {}
      default -> throw new Poison("unknown event type " + event.getTypeValue());
    }
    if (!event.hasOccurredAt()) {
      throw new Poison("occurred_at is missing");
    }
    return new Valid(event, eventId, orderId, userId);
  }
}
