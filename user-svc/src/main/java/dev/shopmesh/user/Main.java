package dev.shopmesh.user;

import dev.shopmesh.platform.auth.AuthSettings;
import dev.shopmesh.platform.auth.TokenVerifier;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.db.Database;
import dev.shopmesh.platform.db.DatabaseSettings;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.platform.grpc.ServerSettings;
import dev.shopmesh.platform.grpc.ServiceMain;
import dev.shopmesh.platform.telemetry.Telemetry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * user-svc: wires UserService and SessionService to their database, the signing keys and the
 * JWKS listener. Tests start it through {@link #start} or {@link #wire}.
 */
public final class Main {
  public static final String NAME = "user-svc";
  public static final int DEFAULT_PORT = 50051;
  public static final int DEFAULT_JWKS_PORT = 8081;

  private Main() {}

  /** The running service and its JWKS listener (whose port tests need when it was 0). */
  public record Running(GrpcServer server, int jwksPort) {
    public String jwksUrl() {
      return "http://localhost:" + jwksPort + JwksServer.PATH;
    }
  }

  public static void main(String[] args) {
    ServiceMain.run(NAME, Main::start);
  }

  public static GrpcServer start(Env env) {
    return wire(env).server();
  }

  public static Running wire(Env env) {
    ServerSettings server = ServerSettings.from(env, DEFAULT_PORT);
    DatabaseSettings database = DatabaseSettings.from(env);
    int jwksPort = env.port("JWKS_PORT", DEFAULT_JWKS_PORT);
    KeyRing keys =
        KeyRing.load(
            Path.of(env.required("SIGNING_KEYS_DIR", "a directory of PKCS#8 EC P-256 PEM signing keys (./mesh up makes .mesh/keys)")));
    String issuer = AuthSettings.issuer(env);
    var bootstrap = BootstrapAdmin.Settings.from(env);
    Telemetry telemetry = Telemetry.create(NAME, env);
    Database db = Database.start("user", database, telemetry);
    JwksServer jwks;
    try {
      jwks = JwksServer.start(jwksPort, keys.publicKeys());
    } catch (RuntimeException e) {
      db.close();
      telemetry.close();
      throw e;
    }
    Passwords passwords = new Passwords();
    UserStore users = new UserStore(db.jdbi());
    SessionStore sessions = new SessionStore(db.jdbi());
    try {
      BootstrapAdmin.apply(bootstrap, users, passwords);
    } catch (RuntimeException e) {
      jwks.close();
      db.close();
      telemetry.close();
      throw e;
    }
    // user-svc is the issuer: it verifies against the keys it signs with, not over HTTP.
    TokenVerifier verifier = TokenVerifier.local(keys.publicKeys(), issuer);
    var userApi = new UserApi(users, passwords);
    var sessionApi =
        new SessionApi(users, sessions, passwords, new SignInThrottle(sessions), new AccessTokens(keys, issuer, Clock.systemUTC()));
    GrpcServer grpc =
        GrpcServer.start(
            NAME, GrpcServer.netty(server), server, telemetry, verifier, List.of(userApi, sessionApi), List.of(jwks, telemetry, db));
    return new Running(grpc, jwks.port());
  }
}
