package dev.shopmesh.user;

import dev.shopmesh.platform.Protos;
import dev.shopmesh.user.v1.User;
import java.time.Instant;
import java.util.UUID;

/** A row of the users table. */
public record UserRow(
    UUID userId, String name, String email, UUID requestId, Instant createTime, Instant updateTime) {

  User toProto() {
    return User.newBuilder()
        .setUserId(userId.toString())
        .setName(name)
        .setEmail(email)
        .setCreateTime(Protos.timestamp(createTime))
        .setUpdateTime(Protos.timestamp(updateTime))
        .build();
  }
}
