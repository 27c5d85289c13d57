package dev.shopmesh.testkit;

import dev.shopmesh.platform.config.Env;
import java.util.HashMap;
import java.util.Map;

/** Environments for starting services in tests through their production wiring. */
public final class TestEnv {
  /** Add to a user-svc's environment for no bootstrap admin (tests that count every user). */
  public static final Map<String, String> NO_BOOTSTRAP_ADMIN =
      Map.of("BOOTSTRAP_ADMIN_EMAIL", "", "BOOTSTRAP_ADMIN_PASSWORD", "");

  private TestEnv() {}

  /**
   * A free port, a fresh database, short drains, and the JVM's {@link TestIdentity} (its keys
   * for user-svc, its JWKS for everyone, its bootstrap admin); {@code extra} entries win.
   */
  public static Env service(String databasePrefix, Map<String, String> extra) {
    return Env.of(serviceVars(databasePrefix, extra));
  }

  /** The variables of {@link #service}, for a service started in a JVM of its own. */
  public static Map<String, String> serviceVars(String databasePrefix, Map<String, String> extra) {
    Map<String, String> vars = new HashMap<>();
    vars.put("PORT", "0");
    vars.put("DATABASE_URL", TestPostgres.newDatabase(databasePrefix));
    vars.put("DB_POOL_SIZE", "4");
    vars.put("SHUTDOWN_DRAIN", "5s");
    vars.put("JWKS_PORT", "0");
    vars.putAll(TestIdentity.shared().env());
    vars.putAll(extra);
    return vars;
  }

  public static String databaseName(Map<String, String> vars) {
    return databaseName(Env.of(vars));
  }

  public static String databaseName(Env env) {
    String url = env.required("DATABASE_URL", "set by TestEnv");
    return url.substring(url.lastIndexOf('/') + 1);
  }
}
