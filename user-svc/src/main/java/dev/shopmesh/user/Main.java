package dev.shopmesh.user;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.db.Database;
import dev.shopmesh.platform.db.DatabaseSettings;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.platform.grpc.ServerSettings;
import dev.shopmesh.platform.grpc.ServiceMain;
import dev.shopmesh.platform.telemetry.Telemetry;
import java.util.List;

/** user-svc: wires UserService to its database. Tests start it through {@link #start}. */
public final class Main {
  public static final String NAME = "user-svc";
  public static final int DEFAULT_PORT = 50051;

  /**
   * The largest valid request is a CreateUser of about 2.2 KB (a 200-character name and a
   * 320-character email, at up to 4 bytes a character): 16 KiB leaves room for growth.
   */
  public static final int MAX_INBOUND_MESSAGE_BYTES = 16 * 1024;

  private Main() {}

  public static void main(String[] args) {
    ServiceMain.run(NAME, Main::start);
  }

  public static GrpcServer start(Env env) {
    ServerSettings server = ServerSettings.from(env, DEFAULT_PORT, MAX_INBOUND_MESSAGE_BYTES);
    DatabaseSettings database = DatabaseSettings.from(env);
    Telemetry telemetry = Telemetry.create(NAME, env);
    Database db = Database.start("user", database, telemetry);
    UserApi api = new UserApi(new UserStore(db.jdbi()), db.pageTokens());
    return GrpcServer.start(
        NAME, GrpcServer.netty(server), server, telemetry, List.of(api), List.of(telemetry, db));
  }
}
