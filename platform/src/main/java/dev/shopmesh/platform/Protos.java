package dev.shopmesh.platform;

import com.google.protobuf.Timestamp;
import java.time.Instant;

/** Conversions between protobuf well-known types and Java types. */
public final class Protos {
  private Protos() {}

  public static Timestamp timestamp(Instant instant) {
    return Timestamp.newBuilder()
        .setSeconds(instant.getEpochSecond())
        .setNanos(instant.getNano())
        .build();
  }
}
