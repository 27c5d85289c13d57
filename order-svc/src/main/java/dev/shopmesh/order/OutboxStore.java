package dev.shopmesh.order;

import dev.shopmesh.events.v1.OrderEvent;
import dev.shopmesh.platform.Protos;
import dev.shopmesh.platform.db.Rows;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

/** The order_outbox table (V5), as the relay reads and marks it. Rows are written by {@link OrderStore}. */
final class OutboxStore {
  /** One unsent event. */
  record Row(long id, OrderEvent event) {}

  private static final RowMapper<Row> MAPPER =
      (rs, ctx) ->
          new Row(
              rs.getLong("id"),
              OrderEvent.newBuilder()
                  .setEventId(rs.getObject("event_id", UUID.class).toString())
                  .setOrderId(rs.getObject("order_id", UUID.class).toString())
                  .setUserId(rs.getObject("user_id", UUID.class).toString())
                  .setSequence(rs.getLong("sequence"))
                  .setOccurredAt(Protos.timestamp(Rows.instant(rs, "occurred_at")))
                  .setType(OrderEvent.Type.valueOf(rs.getString("type")))
                  .setOrderState(OrderEvent.OrderState.valueOf(rs.getString("order_state")))
                  .setTotalMinor(rs.getLong("total_minor"))
                  .setCurrencyCode(rs.getString("currency_code"))
                  .setFailureReason(rs.getString("failure_reason"))
                  .setTraceparent(rs.getString("traceparent"))
                  .setTracestate(rs.getString("tracestate"))
                  .build());

  /**
   * Unsent rows, whatever their id: a transaction that took its id early and committed late is
   * found on the next pass, where "id > last seen" would have skipped it for ever.
   *
   * <p>Only the first unsent row of each order: a later event of an order is sent only once the
   * broker has acknowledged every earlier one. Sending them together would let a failed batch be
   * retried after a later one succeeded (an idempotent producer that expires a batch resets its
   * sequence and goes on with the next), and the customer would read "refunded" before
   * "confirmed". Within one order, ids follow the per-order sequence (its changes are
   * serialised by the order's row lock).
   */
  private static final String UNSENT =
      """
      SELECT * FROM order_outbox o
       WHERE o.sent_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM order_outbox e
                          WHERE e.order_id = o.order_id AND e.sent_at IS NULL AND e.id < o.id)
       ORDER BY o.id
       LIMIT :limit""";
  private static final String MARK_SENT =
      "UPDATE order_outbox SET sent_at = now() WHERE id = ANY(:ids) AND sent_at IS NULL";
  private static final String PURGE =
      "DELETE FROM order_outbox WHERE sent_at < now() - make_interval(secs => :retentionSeconds)";
  private static final String BACKLOG = "SELECT count(*) FROM order_outbox WHERE sent_at IS NULL";
  private static final String OLDEST_UNSENT = "SELECT min(occurred_at) FROM order_outbox WHERE sent_at IS NULL";

  private final Jdbi jdbi;

  OutboxStore(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  List<Row> unsent(int limit) {
    return jdbi.withHandle(h -> h.createQuery(UNSENT).bind("limit", limit).map(MAPPER).list());
  }

  int markSent(List<Long> ids) {
    if (ids.isEmpty()) {
      return 0;
    }
    return jdbi.withHandle(h -> h.createUpdate(MARK_SENT).bindArray("ids", Long.class, ids).execute());
  }

  int purge(Duration retention) {
    return jdbi.withHandle(h -> h.createUpdate(PURGE).bind("retentionSeconds", retention.toMillis() / 1000.0).execute());
  }

  long backlog() {
    return jdbi.withHandle(h -> h.createQuery(BACKLOG).mapTo(Long.class).one());
  }

  /** How long the oldest unsent event has waited; zero when none waits. */
  Duration lag(Instant now) {
    Instant oldest =
        jdbi.withHandle(h -> h.createQuery(OLDEST_UNSENT).map((rs, ctx) -> Rows.instant(rs, "min")).one());
    return oldest == null ? Duration.ZERO : Duration.between(oldest, now).isNegative() ? Duration.ZERO : Duration.between(oldest, now);
  }
}
