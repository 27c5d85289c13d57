package dev.shopmesh.payment;

import dev.shopmesh.platform.auth.AuthSettings;
import dev.shopmesh.platform.auth.TokenVerifier;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.db.Database;
import dev.shopmesh.platform.db.DatabaseSettings;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.platform.grpc.ServerSettings;
import dev.shopmesh.platform.grpc.ServiceMain;
import dev.shopmesh.platform.telemetry.Telemetry;
import dev.shopmesh.platform.tls.TlsSettings;
import java.util.List;
import java.util.Optional;

/**
 * payment-svc: wires PaymentService to its database. Charge and Refund (INTERNAL, order-svc
 * only) are served on {@code INTERNAL_PORT} over mutual TLS; everything else, health included,
 * on {@code PORT}. Tests start it through {@link #start}.
 */
public final class Main {
  public static final String NAME = "payment-svc";
  public static final int DEFAULT_PORT = 50053;
  public static final int DEFAULT_INTERNAL_PORT = 51053;

  /** The largest valid request, a Charge, is under 200 bytes: 16 KiB is plenty. */
  public static final int MAX_INBOUND_MESSAGE_BYTES = 16 * 1024;

  private Main() {}

  public static void main(String[] args) {
    ServiceMain.run(NAME, Main::start);
  }

  public static GrpcServer start(Env env) {
    ServerSettings server = ServerSettings.from(env, DEFAULT_PORT, MAX_INBOUND_MESSAGE_BYTES);
    int internalPort = env.port("INTERNAL_PORT", DEFAULT_INTERNAL_PORT);
    TlsSettings tls = TlsSettings.from(env);
    DatabaseSettings database = DatabaseSettings.from(env);
    PaymentPolicy policy = PaymentPolicy.from(env);
    AuthSettings auth = AuthSettings.from(env);
    Telemetry telemetry = Telemetry.create(NAME, env);
    Database db = Database.start("payment", database, telemetry);
    PaymentApi api = new PaymentApi(new PaymentStore(db.jdbi()), policy, db.pageTokens());
    return GrpcServer.start(
        NAME,
        GrpcServer.netty(server),
        Optional.of(GrpcServer.nettyMutualTls(server, internalPort, tls)),
        server,
        telemetry,
        TokenVerifier.remote(auth),
        List.of(api),
        List.of(telemetry, db));
  }
}
