package dev.shopmesh.platform.kafka;

import dev.shopmesh.platform.config.Env;
import java.util.Optional;

/**
 * Where the order events travel: {@code KAFKA_BOOTSTRAP_SERVERS} (host:port,...; empty or unset
 * turns publishing and consuming off) and {@code ORDER_EVENTS_TOPIC} (default
 * {@value #DEFAULT_TOPIC}).
 */
public record KafkaSettings(Optional<String> bootstrapServers, String topic) {
  public static final String DEFAULT_TOPIC = "shopmesh.order-events.v1";

  public static KafkaSettings from(Env env) {
    return new KafkaSettings(
        env.optional("KAFKA_BOOTSTRAP_SERVERS"), env.string("ORDER_EVENTS_TOPIC", DEFAULT_TOPIC));
  }

  public boolean enabled() {
    return bootstrapServers.isPresent();
  }
}
