package dev.shopmesh.user;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestPostgres;
import dev.shopmesh.user.v1.ListUsersRequest;
import dev.shopmesh.user.v1.ListUsersResponse;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A page size above the maximum is clamped to it, over a table with more rows than that. */
class PageSizeClampTest {
  private static GrpcServer server;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() {
    Env env = TestEnv.service("clamp", Map.of());
    server = Main.start(env);
    // 1004 users and the bootstrap admin: 1005.
    TestPostgres.execute(
        TestPostgres.dataSource(TestEnv.databaseName(env)),
        "INSERT INTO users (user_id, name, email)"
            + " SELECT gen_random_uuid(), 'User ' || n, 'user' || n || '@example.com'"
            + " FROM generate_series(1, 1004) AS n");
    channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.stop();
  }

  @Test
  void aPageSizeAboveOneThousandReturnsOneThousandAndATokenForTheRest() {
    var users = TestIdentity.as(UserServiceGrpc.newBlockingStub(channel), TestIdentity.shared().adminToken());

    ListUsersResponse first = users.listUsers(ListUsersRequest.newBuilder().setPageSize(5000).build());
    assertThat(first.getUsersCount()).isEqualTo(1000);
    assertThat(first.getNextPageToken()).isNotEmpty();

    ListUsersResponse rest =
        users.listUsers(
            ListUsersRequest.newBuilder().setPageSize(5000).setPageToken(first.getNextPageToken()).build());
    assertThat(rest.getUsersCount()).isEqualTo(5);
    assertThat(rest.getNextPageToken()).isEmpty();
  }
}
