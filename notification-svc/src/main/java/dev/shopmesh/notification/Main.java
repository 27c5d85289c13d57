package dev.shopmesh.notification;

import dev.shopmesh.platform.auth.AuthSettings;
import dev.shopmesh.platform.auth.TokenVerifier;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.db.Database;
import dev.shopmesh.platform.db.DatabaseSettings;
import dev.shopmesh.platform.fault.CrashPoints;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.platform.grpc.ServerSettings;
import dev.shopmesh.platform.grpc.ServiceMain;
import dev.shopmesh.platform.telemetry.Telemetry;
import java.util.List;

/**
 * notification-svc: wires the order-event consumer and NotificationService to their database.
 * Tests start it through {@link #start} or {@link #wire}.
 */
public final class Main {
  public static final String NAME = "notification-svc";
  public static final int DEFAULT_PORT = 50054;

  /** Its one method takes a user id, a page size and a page token: 4 KiB is plenty. */
  public static final int MAX_INBOUND_MESSAGE_BYTES = 4 * 1024;

  private Main() {}

  /** The running service, with its consumer exposed for tests that read its counts. */
  public record Running(GrpcServer server, OrderEventConsumer consumer) {}

  public static void main(String[] args) {
    ServiceMain.run(NAME, Main::start);
  }

  public static GrpcServer start(Env env) {
    return wire(env, new LoggingNotifier()).server();
  }

  public static Running wire(Env env, Notifier notifier) {
    ServerSettings server = ServerSettings.from(env, DEFAULT_PORT, MAX_INBOUND_MESSAGE_BYTES);
    DatabaseSettings database = DatabaseSettings.from(env);
    OrderEventConsumer.Settings consuming = OrderEventConsumer.Settings.from(env);
    CrashPoints crash = CrashPoints.from(env);
    AuthSettings auth = AuthSettings.from(env);
    Telemetry telemetry = Telemetry.create(NAME, env);

    Database db = Database.start("notification", database, telemetry);
    NotificationStore store = new NotificationStore(db.jdbi());
    OrderEventConsumer consumer = new OrderEventConsumer(consuming, store, notifier, telemetry, crash).start();
    GrpcServer grpc =
        GrpcServer.start(
            NAME,
            GrpcServer.netty(server),
            server,
            telemetry,
            TokenVerifier.remote(auth),
            List.of(new NotificationApi(store, db.pageTokens())),
            // The consumer stops first: its last batch commits while the database is still open.
            List.of(consumer, telemetry, db));
    return new Running(grpc, consumer);
  }
}
