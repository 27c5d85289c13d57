package dev.shopmesh.loadgen;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** The users the setup created; each request picks one at random. */
record UserPool(List<String> ids) {
  UserPool {
    ids = List.copyOf(ids);
    if (ids.isEmpty()) {
      throw new IllegalArgumentException("no users");
    }
  }

  String any() {
    return ids.get(ThreadLocalRandom.current().nextInt(ids.size()));
  }
}
