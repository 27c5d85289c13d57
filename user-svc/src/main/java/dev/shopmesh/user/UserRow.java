package dev.shopmesh.user;

import dev.shopmesh.platform.Protos;
import dev.shopmesh.platform.db.Rows;
import dev.shopmesh.user.v1.User;
import java.sql.Array;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.mapper.RowMapper;

/** A row of the users table. */
public record UserRow(
    UUID userId,
    String name,
    String email,
    UUID requestId,
    List<String> roles,
    Instant createTime,
    Instant updateTime) {

  /** Reads a users row. Written out: Jdbi's reflective mappers re-match columns on every query. */
  static final RowMapper<UserRow> MAPPER =
      (rs, ctx) ->
          new UserRow(
              rs.getObject("user_id", UUID.class),
              rs.getString("name"),
              rs.getString("email"),
              rs.getObject("request_id", UUID.class),
              roles(rs.getArray("roles")),
              Rows.instant(rs, "create_time"),
              Rows.instant(rs, "update_time"));

  static List<String> roles(Array array) throws SQLException {
    return array == null ? List.of() : List.of((String[]) array.getArray());
  }

  User toProto() {
    return User.newBuilder()
        .setUserId(userId.toString())
        .setName(name)
        .setEmail(email)
        .addAllRoles(roles)
        .setCreateTime(Protos.timestamp(createTime))
        .setUpdateTime(Protos.timestamp(updateTime))
        .build();
  }
}
