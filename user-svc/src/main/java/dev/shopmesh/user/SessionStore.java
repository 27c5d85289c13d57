package dev.shopmesh.user;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * Sessions and their refresh tokens (stored as SHA-256 hashes only), and the counters of failed
 * sign-ins. Rotation and reuse detection happen in one transaction that locks the token's row,
 * so two refreshes racing with one token cannot both win: the second sees it spent.
 */
final class SessionStore {
  private static final String CREATE =
      """
      WITH s AS (
          INSERT INTO sessions (session_id, user_id) VALUES (:sessionId, :userId) RETURNING session_id
      )
      INSERT INTO refresh_tokens (token_hash, session_id, expire_time)
      SELECT :tokenHash, session_id, :expireTime FROM s
      """;
  private static final String LOCK_TOKEN =
      """
      SELECT t.session_id, t.expire_time, t.spent_time, s.revoke_time, s.user_id, u.roles
      FROM refresh_tokens t JOIN sessions s USING (session_id) JOIN users u USING (user_id)
      WHERE t.token_hash = :tokenHash
      FOR UPDATE OF t, s
      """;
  private static final String SPEND =
      "UPDATE refresh_tokens SET spent_time = now() WHERE token_hash = :tokenHash";
  private static final String ADD_TOKEN =
      "INSERT INTO refresh_tokens (token_hash, session_id, expire_time) VALUES (:tokenHash, :sessionId, :expireTime)";
  private static final String REVOKE =
      """
      UPDATE sessions SET revoke_time = now(), revoke_reason = :reason
      WHERE session_id = :sessionId AND user_id = :userId AND revoke_time IS NULL
      """;
  private static final String PURGE_TOKENS =
      """
      DELETE FROM refresh_tokens WHERE token_hash IN (
          SELECT token_hash FROM refresh_tokens WHERE expire_time < now() LIMIT 100)
      """;
  private static final String FAILURES =
      """
      SELECT failures, window_start FROM sign_in_failures
      WHERE subject = :subject AND window_start > now() - make_interval(secs => :windowSeconds)
      """;
  private static final String RECORD_FAILURE =
      """
      INSERT INTO sign_in_failures AS f (subject, failures, window_start) VALUES (:subject, 1, now())
      ON CONFLICT (subject) DO UPDATE SET
          failures = CASE WHEN f.window_start <= now() - make_interval(secs => :windowSeconds)
                          THEN 1 ELSE f.failures + 1 END,
          window_start = CASE WHEN f.window_start <= now() - make_interval(secs => :windowSeconds)
                              THEN now() ELSE f.window_start END
      """;
  private static final String CLEAR_FAILURES = "DELETE FROM sign_in_failures WHERE subject = :subject";
  private static final String PURGE_FAILURES =
      """
      DELETE FROM sign_in_failures WHERE subject IN (
          SELECT subject FROM sign_in_failures
          WHERE window_start < now() - make_interval(secs => :windowSeconds) LIMIT 100)
      """;

  /** What a refresh token turned out to be. */
  sealed interface Refresh {
    /** Good: it is now spent, and the new token is recorded in its place. */
    record Rotated(UUID sessionId, UUID userId, List<String> roles) implements Refresh {}

    /** Unknown, expired, or of an ended session. */
    record Invalid() implements Refresh {}

    /** Already spent: the session has just been ended. */
    record Reused(UUID sessionId) implements Refresh {}
  }

  private record Locked(
      UUID sessionId, UUID userId, Instant expireTime, boolean spent, boolean revoked, List<String> roles) {}

  /** A window's failure count and when the window ends. */
  record Failures(int count, Instant windowEnd) {}

  private final Jdbi jdbi;

  SessionStore(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  void create(UUID sessionId, UUID userId, byte[] tokenHash, Instant expireTime) {
    jdbi.useHandle(
        h -> {
          h.createUpdate(CREATE)
              .bind("sessionId", sessionId)
              .bind("userId", userId)
              .bind("tokenHash", tokenHash)
              .bind("expireTime", expireTime)
              .execute();
          h.createUpdate(PURGE_TOKENS).execute(); // expired tokens go, a few at a time
        });
  }

  /** Spends {@code tokenHash} and records {@code nextHash} in its place, if it is good. */
  Refresh rotate(byte[] tokenHash, byte[] nextHash, Instant nextExpireTime) {
    return jdbi.inTransaction(
        h -> {
          Optional<Locked> row =
              h.createQuery(LOCK_TOKEN)
                  .bind("tokenHash", tokenHash)
                  .map(
                      (rs, ctx) ->
                          new Locked(
                              rs.getObject("session_id", UUID.class),
                              rs.getObject("user_id", UUID.class),
                              rs.getTimestamp("expire_time").toInstant(),
                              rs.getTimestamp("spent_time") != null,
                              rs.getTimestamp("revoke_time") != null,
                              UserRow.roles(rs.getArray("roles"))))
                  .findOne();
          if (row.isEmpty()) {
            return new Refresh.Invalid();
          }
          Locked r = row.get();
          UUID sessionId = r.sessionId();
          UUID userId = r.userId();
          if (r.revoked() || r.expireTime().isBefore(Instant.now())) {
            return new Refresh.Invalid();
          }
          if (r.spent()) {
            h.createUpdate(REVOKE)
                .bind("sessionId", sessionId)
                .bind("userId", userId)
                .bind("reason", "a spent refresh token was used again")
                .execute();
            return new Refresh.Reused(sessionId);
          }
          h.createUpdate(SPEND).bind("tokenHash", tokenHash).execute();
          h.createUpdate(ADD_TOKEN)
              .bind("tokenHash", nextHash)
              .bind("sessionId", sessionId)
              .bind("expireTime", nextExpireTime)
              .execute();
          return new Refresh.Rotated(sessionId, userId, r.roles());
        });
  }

  /** Ends the user's session; false when it was not theirs or had ended already. */
  boolean revoke(UUID sessionId, UUID userId) {
    return jdbi.withHandle(
            h ->
                h.createUpdate(REVOKE)
                    .bind("sessionId", sessionId)
                    .bind("userId", userId)
                    .bind("reason", "signed out")
                    .execute())
        > 0;
  }

  Optional<Failures> failures(String subject, Duration window) {
    return jdbi.withHandle(
        h ->
            h.createQuery(FAILURES)
                .bind("subject", subject)
                .bind("windowSeconds", (double) window.toSeconds())
                .map((rs, ctx) -> new Failures(rs.getInt("failures"), rs.getTimestamp("window_start").toInstant().plus(window)))
                .findOne());
  }

  void recordFailure(List<String> subjects, Duration window) {
    jdbi.useTransaction(
        h -> {
          for (String subject : subjects.stream().sorted().toList()) { // one lock order
            h.createUpdate(RECORD_FAILURE)
                .bind("subject", subject)
                .bind("windowSeconds", (double) window.toSeconds())
                .execute();
          }
          h.createUpdate(PURGE_FAILURES).bind("windowSeconds", (double) window.toSeconds()).execute();
        });
  }

  void clearFailures(String subject) {
    jdbi.useHandle(h -> h.createUpdate(CLEAR_FAILURES).bind("subject", subject).execute());
  }
}
