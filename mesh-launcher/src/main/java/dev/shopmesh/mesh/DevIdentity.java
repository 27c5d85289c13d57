package dev.shopmesh.mesh;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The identity settings {@code ./mesh up} gives its processes:
 *
 * <ul>
 *   <li>user-svc replica k: {@code SIGNING_KEYS_DIR} ({@code .mesh/keys}, shared by all),
 *       {@code JWKS_PORT} = {@code MESH_JWKS_PORT} (8081) + 10·k, and
 *       {@code BOOTSTRAP_ADMIN_EMAIL}/{@code BOOTSTRAP_ADMIN_PASSWORD} when the launcher's own
 *       environment has them (no admin otherwise, and no default password);
 *   <li>every other service and the edge: {@code JWKS_URL} of user-svc replica 1 (all replicas
 *       serve the same keys; a verifier that cannot fetch it fails closed until it can);
 *   <li>everyone: {@code JWT_ISSUER} when the launcher's environment sets it.
 * </ul>
 */
final class DevIdentity {
  static final int DEFAULT_JWKS_PORT = 8081;

  private DevIdentity() {}

  static int jwksPort(Map<String, String> env) {
    String raw = env.getOrDefault("MESH_JWKS_PORT", Integer.toString(DEFAULT_JWKS_PORT)).trim();
    try {
      int port = Integer.parseInt(raw);
      if (port > 0 && port < 65000) {
        return port;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException("MESH_JWKS_PORT must be a port number, got '" + raw + "'");
  }

  /** What {@code service}'s replica {@code k} gets. */
  static Map<String, String> env(Path home, String service, int k, Map<String, String> launcherEnv) {
    Map<String, String> env = new HashMap<>();
    int jwksPort = jwksPort(launcherEnv);
    if (service.equals("user-svc")) {
      env.put("SIGNING_KEYS_DIR", home.resolve("keys").toString());
      env.put("JWKS_PORT", Integer.toString(jwksPort + 10 * k));
      for (String name : new String[] {"BOOTSTRAP_ADMIN_EMAIL", "BOOTSTRAP_ADMIN_PASSWORD"}) {
        String value = launcherEnv.get(name);
        if (value != null && !value.isBlank()) {
          env.put(name, value);
        }
      }
    } else {
      env.put("JWKS_URL", "http://localhost:" + jwksPort + "/.well-known/jwks.json");
    }
    String issuer = launcherEnv.get("JWT_ISSUER");
    if (issuer != null && !issuer.isBlank()) {
      env.put("JWT_ISSUER", issuer);
    }
    return env;
  }
}
