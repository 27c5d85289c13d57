package dev.shopmesh.user;

import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.db.PgErrors;
import dev.shopmesh.platform.paging.PageRequest;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * The users and their credentials. The database enforces uniqueness; this class translates what
 * it says. Reads of one user carry the caller in the query: a customer's query can only ever
 * match their own row.
 */
final class UserStore {
  /** The user and their password hash in one statement: no user is ever half-created. */
  private static final String INSERT =
      """
      WITH u AS (
          INSERT INTO users (user_id, name, email, request_id, roles)
          VALUES (:userId, :name, :email, :requestId, :roles)
          ON CONFLICT (request_id) DO NOTHING
          RETURNING *
      ), c AS (
          INSERT INTO credentials (user_id, password_hash) SELECT user_id, :passwordHash FROM u
      )
      SELECT * FROM u
      """;
  private static final String BY_ID_FOR_CALLER =
      "SELECT * FROM users WHERE user_id = :userId AND (:admin OR user_id = :caller)";
  private static final String BY_REQUEST_ID = "SELECT * FROM users WHERE request_id = :requestId";
  private static final String PAGE =
      "SELECT * FROM users WHERE user_id > :after ORDER BY user_id LIMIT :limit";
  private static final String LOGIN =
      """
      SELECT u.*, c.password_hash FROM users u LEFT JOIN credentials c USING (user_id)
      WHERE u.email = :email
      """;
  private static final String HASH_OF = "SELECT password_hash FROM credentials WHERE user_id = :userId";
  private static final String SET_PASSWORD =
      """
      INSERT INTO credentials (user_id, password_hash) VALUES (:userId, :passwordHash)
      ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, update_time = now()
      """;
  private static final String ADD_ROLE =
      """
      UPDATE users SET roles = array_append(roles, CAST(:role AS text)), update_time = now()
      WHERE user_id = :userId AND NOT (CAST(:role AS text) = ANY(roles))
      """;

  /** What became of a CreateUser. */
  sealed interface CreateResult {
    /** The user now exists: created just now, or ({@code replay}) by an earlier call with the same request_id. */
    record Done(UserRow user, boolean replay) implements CreateResult {}

    /** Another user has this email. */
    record EmailTaken() implements CreateResult {}

    /** The request_id was used before for a different user. */
    record RequestIdReused() implements CreateResult {}
  }

  /** A user found by email for sign-in; {@code passwordHash} is null when they have none. */
  record Login(UserRow user, String passwordHash) {}

  private final Jdbi jdbi;

  UserStore(Jdbi jdbi) {
    this.jdbi = jdbi.registerRowMapper(UserRow.class, UserRow.MAPPER);
  }

  CreateResult create(NewUser user, String passwordHash, List<String> roles, Optional<UUID> requestId) {
    try {
      Optional<UserRow> inserted =
          jdbi.withHandle(
              h ->
                  h.createQuery(INSERT)
                      .bind("userId", Ids.newId())
                      .bind("name", user.name())
                      .bind("email", user.email())
                      .bindByType("requestId", requestId.orElse(null), UUID.class)
                      .bindArray("roles", String.class, roles)
                      .bind("passwordHash", passwordHash)
                      .mapTo(UserRow.class)
                      .findOne());
      if (inserted.isPresent()) {
        return new CreateResult.Done(inserted.get(), false);
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
    Optional<UserRow> earlier =
        jdbi.withHandle(
            h -> h.createQuery(BY_REQUEST_ID).bind("requestId", requestId.orElseThrow()).mapTo(UserRow.class).findOne());
    if (earlier.isEmpty()) {
      return new CreateResult.EmailTaken();
    }
    return user.sameAs(earlier.get())
        ? new CreateResult.Done(earlier.get(), true)
        : new CreateResult.RequestIdReused();
  }

  /** The user, if the caller may see it: an admin sees anyone, a customer only themself. */
  Optional<UserRow> get(UUID userId, UUID caller, boolean admin) {
    return jdbi.withHandle(
        h ->
            h.createQuery(BY_ID_FOR_CALLER)
                .bind("userId", userId)
                .bind("caller", caller)
                .bind("admin", admin)
                .mapTo(UserRow.class)
                .findOne());
  }

  /**
   * The user with {@code email}, which must be in its normal form ({@link NewUser#normaliseEmail}):
   * emails are stored so (V5) and unique byte for byte, so this is an index lookup.
   */
  Optional<Login> login(String email) {
    return jdbi.withHandle(
        h ->
            h.createQuery(LOGIN)
                .bind("email", email)
                .map((rs, ctx) -> new Login(UserRow.MAPPER.map(rs, ctx), rs.getString("password_hash")))
                .findOne());
  }

  Optional<String> passwordHash(UUID userId) {
    return jdbi.withHandle(h -> h.createQuery(HASH_OF).bind("userId", userId).mapTo(String.class).findOne());
  }

  void setPassword(UUID userId, String passwordHash) {
    jdbi.useHandle(h -> h.createUpdate(SET_PASSWORD).bind("userId", userId).bind("passwordHash", passwordHash).execute());
  }

  void addRole(UUID userId, String role) {
    jdbi.useHandle(h -> h.createUpdate(ADD_ROLE).bind("userId", userId).bind("role", role).execute());
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
