package dev.shopmesh.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.shopmesh.events.v1.OrderEvent;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads a record of the order-events topic as one line of JSON (the proto3 JSON mapping), for
 * {@code kafka-console-consumer --formatter-property value.deserializer=dev.shopmesh.kafka.OrderEventJson}
 * ({@code ./mesh events}). A record that is not an OrderEvent prints as such, with its size.
 */
public final class OrderEventJson implements Deserializer<String> {
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

  @Override
  public String deserialize(String topic, byte[] data) {
    if (data == null) {
      return "null";
    }
    try {
      return PRINTER.print(OrderEvent.parseFrom(data));
    } catch (InvalidProtocolBufferException e) {
      return "<not an OrderEvent: " + data.length + " bytes>";
    }
  }
}
