package dev.shopmesh.user;

import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.db.PgErrors;
import dev.shopmesh.platform.paging.PageRequest;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/** The users table. The database enforces uniqueness; this class translates what it says. */
final class UserStore {
  private static final String INSERT =
      """
      INSERT INTO users (user_id, name, email, request_id)
      VALUES (:userId, :name, :email, :requestId)
      ON CONFLICT (request_id) DO NOTHING
      RETURNING *
      """;
  private static final String BY_ID = "SELECT * FROM users WHERE user_id = :userId";
  private static final String BY_REQUEST_ID = "SELECT * FROM users WHERE request_id = :requestId";
  private static final String PAGE =
      "SELECT * FROM users WHERE user_id > :after ORDER BY user_id LIMIT :limit";

  /** What became of a CreateUser. */
  sealed interface CreateResult {
    /** The user now exists: created just now, or by an earlier call with the same request_id. */
    record Done(UserRow user) implements CreateResult {}

    /** Another user has this email. */
    record EmailTaken() implements CreateResult {}

    /** The request_id was used before for a different user. */
    record RequestIdReused() implements CreateResult {}
  }

  private final Jdbi jdbi;

  UserStore(Jdbi jdbi) {
    this.jdbi = jdbi.registerRowMapper(UserRow.class, UserRow.MAPPER);
  }

  CreateResult create(NewUser user, Optional<UUID> requestId) {
    try {
      Optional<UserRow> inserted =
          jdbi.withHandle(
              h ->
                  h.createQuery(INSERT)
                      .bind("userId", Ids.newId())
                      .bind("name", user.name())
                      .bind("email", user.email())
                      .bindByType("requestId", requestId.orElse(null), UUID.class)
                      .mapTo(UserRow.class)
                      .findOne());
      if (inserted.isPresent()) {
        return new CreateResult.Done(inserted.get());
      }
    } catch (RuntimeException e) {
      if (PgErrors.uniqueViolation(e).isEmpty()) {
        throw e;
      }
      // The email is taken: by another user, or by a concurrent twin of this very request
      // whose row committed between our conflict check on request_id and our insert.
      if (requestId.isEmpty()) {
        return new CreateResult.EmailTaken();
      }
    }
    // request_id was seen before: this is a replay, or a misuse of the key.
    Optional<UserRow> earlier = one(BY_REQUEST_ID, "requestId", requestId.orElseThrow());
    if (earlier.isEmpty()) {
      return new CreateResult.EmailTaken();
    }
    return user.sameAs(earlier.get())
        ? new CreateResult.Done(earlier.get())
        : new CreateResult.RequestIdReused();
  }

  Optional<UserRow> get(UUID userId) {
    return one(BY_ID, "userId", userId);
  }

  private Optional<UserRow> one(String sql, String name, UUID value) {
    return jdbi.withHandle(h -> h.createQuery(sql).bind(name, value).mapTo(UserRow.class).findOne());
  }

  /** One page of users in id order, and one more when there are more. */
  List<UserRow> page(PageRequest paging) {
    return jdbi.withHandle(
        h ->
            h.createQuery(PAGE)
                .bind("after", paging.afterOrStart())
                .bind("limit", paging.fetchLimit())
                .mapTo(UserRow.class)
                .list());
  }
}
