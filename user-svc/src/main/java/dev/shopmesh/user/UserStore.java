package dev.shopmesh.user;

import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.db.PgErrors;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.statement.SqlQuery;

/** The users table. The database enforces uniqueness; this class translates what it says. */
final class UserStore {
  /** No id sorts before this one: where the first page starts. */
  private static final UUID BEFORE_ALL = new UUID(0, 0);

  @RegisterConstructorMapper(UserRow.class)
  interface Dao {
    @SqlQuery(
        """
        INSERT INTO users (user_id, name, email, request_id)
        VALUES (:userId, :name, :email, :requestId)
        ON CONFLICT (request_id) DO NOTHING
        RETURNING *
        """)
    Optional<UserRow> insert(UUID userId, String name, String email, UUID requestId);

    @SqlQuery("SELECT * FROM users WHERE user_id = :userId")
    Optional<UserRow> byId(UUID userId);

    @SqlQuery("SELECT * FROM users WHERE request_id = :requestId")
    Optional<UserRow> byRequestId(UUID requestId);

    @SqlQuery("SELECT * FROM users WHERE user_id > :after ORDER BY user_id LIMIT :limit")
    List<UserRow> page(UUID after, int limit);
  }

  /** What became of a CreateUser. */
  sealed interface CreateResult {
    /** The user now exists: created just now, or by an earlier call with the same request_id. */
    record Done(UserRow user) implements CreateResult {}

    /** Another user has this email. */
    record EmailTaken() implements CreateResult {}

    /** The request_id was used before for a different user. */
    record RequestIdReused() implements CreateResult {}
  }

  private final Dao dao;

  UserStore(Jdbi jdbi) {
    this.dao = jdbi.onDemand(Dao.class);
  }

  CreateResult create(NewUser user, Optional<UUID> requestId) {
    try {
      Optional<UserRow> inserted =
          dao.insert(Ids.newId(), user.name(), user.email(), requestId.orElse(null));
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
    Optional<UserRow> earlier = dao.byRequestId(requestId.orElseThrow());
    if (earlier.isEmpty()) {
      return new CreateResult.EmailTaken();
    }
    return user.sameAs(earlier.get())
        ? new CreateResult.Done(earlier.get())
        : new CreateResult.RequestIdReused();
  }

  Optional<UserRow> get(UUID userId) {
    return dao.byId(userId);
  }

  /** Up to {@code limit} users after {@code after} (from the start when empty), in id order. */
  List<UserRow> page(Optional<UUID> after, int limit) {
    return dao.page(after.orElse(BEFORE_ALL), limit);
  }
}
