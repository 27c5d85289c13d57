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
import com.nimbusds.jose.jwk.JWKSet;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * user-svc: wires UserService and SessionService to their database, the signing keys and the
 * JWKS listener. Tests start it through {@link #start} or {@link #wire}.
 */
public final class Main {
  public static final String NAME = "user-svc";
  public static final int DEFAULT_PORT = 50051;
  public static final int DEFAULT_JWKS_PORT = 8081;
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  /**
   * The largest valid request is a CreateUser of about 2.7 KB (a 200-character name, a
   * 320-character email and a 128-character password, at up to 4 bytes a character): 16 KiB
   * leaves room for growth.
   */
  public static final int MAX_INBOUND_MESSAGE_BYTES = 16 * 1024;

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
    ServerSettings server = ServerSettings.from(env, DEFAULT_PORT, MAX_INBOUND_MESSAGE_BYTES);
    DatabaseSettings database = DatabaseSettings.from(env);
    int jwksPort = env.port("JWKS_PORT", DEFAULT_JWKS_PORT);
    // No keys, no sign-in: user-svc still serves sign-up and the rest, and says why it cannot sign.
    Optional<KeyRing> keys = env.optional("SIGNING_KEYS_DIR").map(dir -> KeyRing.load(Path.of(dir)));
    String issuer = AuthSettings.issuer(env);
    var bootstrap = BootstrapAdmin.Settings.from(env);
    Telemetry telemetry = Telemetry.create(NAME, env);
    Database db = Database.start("user", database, telemetry);
    JwksServer jwks;
    try {
      jwks = JwksServer.start(server.address(jwksPort), keys.map(KeyRing::publicKeys).orElseGet(JWKSet::new));
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
    TokenVerifier verifier = TokenVerifier.local(keys.map(KeyRing::publicKeys).orElseGet(JWKSet::new), issuer);
    if (keys.isEmpty()) {
      log.warn("SIGNING_KEYS_DIR is not set: sign-in is off (CreateSession answers UNAVAILABLE) until it names a directory of signing keys");
    }
    var userApi = new UserApi(users, passwords, db.pageTokens());
    var sessionApi =
        new SessionApi(
            users, sessions, passwords, new SignInThrottle(sessions),
            keys.map(k -> new AccessTokens(k, issuer, Clock.systemUTC())));
    GrpcServer grpc =
        GrpcServer.start(
            NAME, GrpcServer.netty(server), server, telemetry, verifier, List.of(userApi, sessionApi), List.of(jwks, telemetry, db));
    return new Running(grpc, jwks.port());
  }
}
