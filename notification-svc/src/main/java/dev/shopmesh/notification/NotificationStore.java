package dev.shopmesh.notification;

import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.paging.PageRequest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** The notifications and parked_events tables. */
final class NotificationStore {
  /** A record that could not be read, and why. */
  record Parked(String topic, int partition, long offset, String key, byte[] payload, String error) {}

  /** What one batch of records changed. */
  /**
   * What one batch of records changed: the new notifications, the events that had been recorded
   * before (redeliveries), the parked records, and the new events whose sequence was not above
   * every one recorded for their order (out of order; recorded all the same, and logged).
   */
  record Recorded(List<NotificationRow> created, int duplicates, int parked, List<OrderEvents.Valid> outOfOrder) {}

  private static final String INSERT =
      """
      INSERT INTO notifications (notification_id, event_id, user_id, order_id, sequence, kind, message, occur_time)
      VALUES (:notificationId, :eventId, :userId, :orderId, :sequence, :kind, :message, :occurTime)
      ON CONFLICT (event_id) DO NOTHING
      RETURNING *
      """;
  private static final String PARK =
      """
      INSERT INTO parked_events (topic, partition, "offset", record_key, payload, error)
      VALUES (:topic, :partition, :offset, :key, :payload, :error)
      ON CONFLICT DO NOTHING
      """;
  private static final String LAST_SEQUENCE =
      "SELECT coalesce(max(sequence), 0) FROM notifications WHERE order_id = :orderId";
  private static final String PAGE_OF_USER =
      """
      SELECT * FROM notifications WHERE user_id = :userId AND notification_id < :before
      ORDER BY notification_id DESC LIMIT :limit
      """;

  /** Sorts after every UUIDv7: the start of a newest-first page. */
  private static final UUID AFTER_ALL = new UUID(-1L, -1L);

  private final Jdbi jdbi;

  NotificationStore(Jdbi jdbi) {
    this.jdbi = jdbi.registerRowMapper(NotificationRow.class, NotificationRow.MAPPER);
  }

  /**
   * Records one notification per event and parks the unreadable records, all in one
   * transaction: after it commits, every record of the batch has had its effect exactly once
   * (an event already recorded is a duplicate, and changes nothing).
   */
  Recorded record(List<OrderEvents.Valid> events, List<Parked> parked) {
    return jdbi.inTransaction(
        h -> {
          List<NotificationRow> created = new ArrayList<>();
          List<OrderEvents.Valid> outOfOrder = new ArrayList<>();
          int duplicates = 0;
          for (OrderEvents.Valid e : events) {
            long last =
                h.createQuery(LAST_SEQUENCE).bind("orderId", e.orderId()).mapTo(Long.class).one();
            Optional<NotificationRow> row = insert(h, e);
            if (row.isPresent() && e.event().getSequence() <= last) {
              outOfOrder.add(e);
            }
            if (row.isPresent()) {
              created.add(row.get());
            } else {
              duplicates++;
            }
          }
          for (Parked p : parked) {
            h.createUpdate(PARK)
                .bind("topic", p.topic())
                .bind("partition", p.partition())
                .bind("offset", p.offset())
                .bind("key", p.key())
                .bind("payload", p.payload())
                .bind("error", p.error())
                .execute();
          }
          return new Recorded(created, duplicates, parked.size(), outOfOrder);
        });
  }

  private static Optional<NotificationRow> insert(Handle h, OrderEvents.Valid e) {
    var event = e.event();
    return h.createQuery(INSERT)
        .bind("notificationId", Ids.newId())
        .bind("eventId", e.eventId())
        .bind("userId", e.userId())
        .bind("orderId", e.orderId())
        .bind("sequence", event.getSequence())
        .bind("kind", event.getType().name())
        .bind("message", NotificationRow.text(event))
        .bind(
            "occurTime",
            Instant.ofEpochSecond(event.getOccurredAt().getSeconds(), event.getOccurredAt().getNanos())
                .atOffset(ZoneOffset.UTC))
        .mapTo(NotificationRow.class)
        .findOne();
  }

  /** One user's notifications, newest first. */
  List<NotificationRow> page(UUID userId, PageRequest paging) {
    return jdbi.withHandle(
        h ->
            h.createQuery(PAGE_OF_USER)
                .bind("userId", userId)
                .bind("before", paging.after().orElse(AFTER_ALL))
                .bind("limit", paging.fetchLimit())
                .mapTo(NotificationRow.class)
                .list());
  }
}
