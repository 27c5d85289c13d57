package dev.shopmesh.user;

import static dev.shopmesh.testkit.Statuses.code;
import static dev.shopmesh.testkit.Statuses.fields;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.user.EmailNormalisationTest.OneUserService;
import dev.shopmesh.user.v1.CreateUserRequest;
import dev.shopmesh.user.v1.ListUsersRequest;
import dev.shopmesh.user.v1.ListUsersResponse;
import dev.shopmesh.user.v1.User;
import io.grpc.Status;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Page tokens are MACed under a key that lives in the service's database: the next page can be
 * asked of any replica (round_robin sends each call elsewhere), and of the same service after a
 * restart; a token of another deployment, or a changed one, is INVALID_ARGUMENT.
 */
class PageTokenAcrossReplicasTest {

  @Test
  void aTokenFromOneReplicaWorksOnAnotherAndAfterARestart() {
    Env env = TestEnv.service("users", TestEnv.NO_BOOTSTRAP_ADMIN);
    String firstPageToken;
    try (var one = new OneUserService(env)) {
      for (int i = 0; i < 3; i++) {
        one.users.createUser(
            CreateUserRequest.newBuilder()
                .setUser(User.newBuilder().setName("P" + i).setEmail("p" + i + UUID.randomUUID() + "@example.com").setPassword(TestIdentity.PASSWORD))
                .build());
      }
      firstPageToken = one.users.listUsers(ListUsersRequest.newBuilder().setPageSize(2).build()).getNextPageToken();
      try (var two = new OneUserService(env.with("PORT", "0"))) {
        ListUsersResponse onTwo =
            two.users.listUsers(ListUsersRequest.newBuilder().setPageSize(2).setPageToken(firstPageToken).build());
        assertThat(onTwo.getUsersList()).hasSize(1);
      }
    }
    try (var restarted = new OneUserService(env)) {
      assertThat(
              restarted.users
                  .listUsers(ListUsersRequest.newBuilder().setPageSize(2).setPageToken(firstPageToken).build())
                  .getUsersList())
          .hasSize(1);
    }
  }

  @Test
  void aTokenOfAnotherDeploymentOrAChangedOneIsInvalidArgument() {
    String theirs;
    try (var other = new OneUserService(TestEnv.service("users", TestEnv.NO_BOOTSTRAP_ADMIN))) {
      for (int i = 0; i < 2; i++) {
        other.users.createUser(
            CreateUserRequest.newBuilder()
                .setUser(User.newBuilder().setName("O" + i).setEmail("o" + i + UUID.randomUUID() + "@example.com").setPassword(TestIdentity.PASSWORD))
                .build());
      }
      theirs = other.users.listUsers(ListUsersRequest.newBuilder().setPageSize(1).build()).getNextPageToken();
    }
    try (var ours = new OneUserService(TestEnv.service("users", TestEnv.NO_BOOTSTRAP_ADMIN))) {
      for (String token : new String[] {theirs, theirs.substring(0, 10) + (theirs.charAt(10) == 'A' ? 'B' : 'A') + theirs.substring(11)}) {
        Throwable e =
            catchThrowable(() -> ours.users.listUsers(ListUsersRequest.newBuilder().setPageToken(token).build()));
        assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(fields(e)).containsExactly("page_token");
      }
    }
  }
}
