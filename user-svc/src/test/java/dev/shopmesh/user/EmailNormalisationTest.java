package dev.shopmesh.user;

import static dev.shopmesh.testkit.Statuses.code;
import static dev.shopmesh.testkit.Statuses.info;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestPostgres;
import dev.shopmesh.user.v1.CreateUserRequest;
import dev.shopmesh.user.v1.User;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * One person, one address, whatever the way it is written and whatever the database's locale:
 * emails are stored NFC and lower-cased by Locale.ROOT, unique byte for byte.
 */
class EmailNormalisationTest {

  private static User create(UserServiceGrpc.UserServiceBlockingStub users, String email) {
    return users.createUser(
        CreateUserRequest.newBuilder()
            .setUser(User.newBuilder().setName("Émile").setEmail(email).setPassword(TestIdentity.PASSWORD))
            .build());
  }

  @Test
  void aComposedAndADecomposedAccentAreOneUser() throws Exception {
    try (var shop = new OneUserService(TestEnv.service("users", TestEnv.NO_BOOTSTRAP_ADMIN))) {
      String id = UUID.randomUUID().toString().substring(0, 8);
      User first = create(shop.users, "\u00e9mile" + id + "@example.org"); // é, one code point

      Throwable second = catchThrowable(() -> create(shop.users, "e\u0301mile" + id + "@example.org"));
      Throwable upper = catchThrowable(() -> create(shop.users, "\u00c9MILE" + id + "@EXAMPLE.org"));

      assertThat(code(second)).isEqualTo(Status.Code.ALREADY_EXISTS);
      assertThat(info(second).orElseThrow().getReason()).isEqualTo("EMAIL_ALREADY_EXISTS");
      assertThat(code(upper)).isEqualTo(Status.Code.ALREADY_EXISTS);
      assertThat(first.getEmail()).isEqualTo("\u00e9mile" + id + "@example.org");
    }
  }

  @Test
  void theReturnedEmailIsTheNormalForm() throws Exception {
    try (var shop = new OneUserService(TestEnv.service("users", TestEnv.NO_BOOTSTRAP_ADMIN))) {
      User created = create(shop.users, "E\u0301MILE@Example.ORG");
      assertThat(created.getEmail()).isEqualTo("\u00e9mile@example.org");
    }
  }

  @Test
  void theMigrationNormalisesExistingEmailsAndKeepsEveryUser() throws Exception {
    String url = TestPostgres.newDatabase("users_v1");
    String name = url.substring(url.lastIndexOf('/') + 1);
    DataSource db = TestPostgres.dataSource(name);
    // A database as V1 left it, with what lower(email) let through.
    Flyway.configure().dataSource(db).locations("classpath:db/migration/user").target("1").load().migrate();
    Map<String, String> rows = new LinkedHashMap<>();
    rows.put("0190a000-0000-7000-8000-000000000001", "Ada@Example.COM");
    rows.put("0190a000-0000-7000-8000-000000000002", "e\u0301mile@example.org"); // decomposed
    rows.put("0190a000-0000-7000-8000-000000000003", "\u00e9mile@example.org"); // composed: a twin
    try (Connection c = db.getConnection();
        Statement s = c.createStatement()) {
      for (var row : rows.entrySet()) {
        s.execute("INSERT INTO users (user_id, name, email) VALUES ('" + row.getKey() + "', 'x', '" + row.getValue() + "')");
      }
    }

    try (var shop = new OneUserService(TestEnv.service("users", with(TestEnv.NO_BOOTSTRAP_ADMIN, "DATABASE_URL", url)))) {
      // Normalised where that is free; the decomposed twin of an address already in normal form
      // is left as it was (and logged) rather than merged or lost.
      assertThat(emails(db))
          .containsExactly("ada@example.com", "e\u0301mile@example.org", "\u00e9mile@example.org");
      assertThat(code(catchThrowable(() -> create(shop.users, "ADA@example.com"))))
          .isEqualTo(Status.Code.ALREADY_EXISTS);
      assertThat(code(catchThrowable(() -> create(shop.users, "E\u0301mile@example.org"))))
          .isEqualTo(Status.Code.ALREADY_EXISTS);
    }
  }

  private static java.util.List<String> emails(DataSource db) throws Exception {
    var out = new java.util.ArrayList<String>();
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT email FROM users ORDER BY user_id")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  static Map<String, String> with(Map<String, String> base, String name, String value) {
    Map<String, String> all = new java.util.HashMap<>(base);
    all.put(name, value);
    return all;
  }

  /** user-svc through its production wiring, and a client. */
  static final class OneUserService implements AutoCloseable {
    final GrpcServer server;
    final ManagedChannel channel;
    final UserServiceGrpc.UserServiceBlockingStub users;

    OneUserService(Env env) {
      server = Main.start(env);
      channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
      // As an admin, who may list and read every user.
      users = TestIdentity.as(UserServiceGrpc.newBlockingStub(channel), TestIdentity.shared().adminToken());
    }

    @Override
    public void close() {
      channel.shutdownNow();
      server.stop();
    }
  }
}
