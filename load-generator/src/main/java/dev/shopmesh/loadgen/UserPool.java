package dev.shopmesh.loadgen;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** The users the setup signed up and in; each request picks one at random and sends as them. */
record UserPool(List<Member> members) {
  /** A signed-in bench user: their id and access token. */
  record Member(String id, String token) {
    String authorization() {
      return "Bearer " + token;
    }
  }

  UserPool {
    members = List.copyOf(members);
    if (members.isEmpty()) {
      throw new IllegalArgumentException("no users");
    }
  }

  Member any() {
    return members.get(ThreadLocalRandom.current().nextInt(members.size()));
  }
}
