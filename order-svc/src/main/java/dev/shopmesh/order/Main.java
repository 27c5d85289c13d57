package dev.shopmesh.order;

import dev.shopmesh.payment.v1.PaymentServiceGrpc;
import dev.shopmesh.platform.auth.AuthSettings;
import dev.shopmesh.platform.auth.ForwardAuthorization;
import dev.shopmesh.platform.auth.TokenVerifier;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.db.Database;
import dev.shopmesh.platform.db.DatabaseSettings;
import dev.shopmesh.platform.fault.CrashPoints;
import dev.shopmesh.platform.grpc.ChannelSettings;
import dev.shopmesh.platform.grpc.Channels;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.platform.grpc.ServerSettings;
import dev.shopmesh.platform.grpc.ServiceMain;
import dev.shopmesh.platform.telemetry.Telemetry;
import dev.shopmesh.platform.tls.TlsSettings;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.List;

/**
 * order-svc: wires OrderService to its database, its two peers and the reconciler. Tests start
 * it through {@link #wire} or {@link #start}.
 */
public final class Main {
  public static final String NAME = "order-svc";
  public static final int DEFAULT_PORT = 50052;

  /**
   * The largest valid request is a CreateOrder of 100 lines, about 22 KB (a 64-character sku at
   * up to 3 bytes a character, a quantity and a price per line): 64 KiB leaves room for growth.
   */
  public static final int MAX_INBOUND_MESSAGE_BYTES = 64 * 1024;

  private Main() {}

  /** The running service, with the reconciler exposed for tests that drive it. */
  public record Running(GrpcServer server, Reconciler reconciler, OutboxRelay relay) {}

  public static void main(String[] args) {
    ServiceMain.run(NAME, Main::start);
  }

  public static GrpcServer start(Env env) {
    return wire(env).server();
  }

  public static Running wire(Env env) {
    ServerSettings server = ServerSettings.from(env, DEFAULT_PORT, MAX_INBOUND_MESSAGE_BYTES);
    DatabaseSettings database = DatabaseSettings.from(env);
    ChannelSettings users =
        ChannelSettings.from(env, "USER_SVC", "localhost:50051", Duration.ofSeconds(2));
    ChannelSettings payments =
        ChannelSettings.from(env, "PAYMENT_SVC", "localhost:51053", Duration.ofSeconds(3));
    TlsSettings tls = TlsSettings.from(env);
    Reconciler.Settings reconciling = Reconciler.Settings.from(env);
    AuthSettings auth = AuthSettings.from(env);
    OutboxRelay.Settings relaying = OutboxRelay.Settings.from(env);
    CrashPoints crash = CrashPoints.from(env);
    Telemetry telemetry = Telemetry.create(NAME, env);

    Database db = Database.start("order", database, telemetry);
    ManagedChannel userChannel =
        Channels.create(users, telemetry, List.of(UserServiceGrpc.SERVICE_NAME));
    ManagedChannel paymentChannel =
        // Charge and Refund: payment-svc's internal port, over mutual TLS as order-svc.
        Channels.createMutualTls(payments, telemetry, List.of(PaymentServiceGrpc.SERVICE_NAME), tls, "payment-svc");
    OrderStore store = new OrderStore(db.jdbi());
    // GetUser in the saga runs as the caller: their own token goes along (ForwardAuthorization).
    OrderSaga saga = new OrderSaga(store, ForwardAuthorization.on(userChannel), paymentChannel, telemetry);
    Reconciler reconciler =
        new Reconciler(store, saga, reconciling, List.of(paymentChannel), telemetry).start();
    OutboxRelay relay =
        new OutboxRelay(relaying, database, new OutboxStore(db.jdbi()), telemetry, crash).start();
    GrpcServer grpc =
        GrpcServer.start(
            NAME,
            GrpcServer.netty(server),
            server,
            telemetry,
            TokenVerifier.remote(auth),
            List.of(new OrderApi(saga, store, db.pageTokens())),
            List.of(
                reconciler,
                relay,
                Channels.closing(userChannel),
                Channels.closing(paymentChannel),
                telemetry,
                db));
    return new Running(grpc, reconciler, relay);
  }
}
