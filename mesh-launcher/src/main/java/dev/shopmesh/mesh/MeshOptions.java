package dev.shopmesh.mesh;

import java.nio.file.Path;
import java.util.Map;

/**
 * What {@code ./mesh up} was asked for. Flags win over environment variables.
 *
 * @param home where the mesh keeps its data ({@code MESH_HOME}, default {@code .mesh})
 * @param root the repository root, where the built jars are ({@code MESH_ROOT}, default {@code .})
 * @param fresh {@code --fresh}: start with empty databases
 * @param replicas {@code --replicas N} / {@code MESH_REPLICAS}: JVMs per service
 * @param pgPort {@code --pg-port} / {@code MESH_PG_PORT}
 * @param servicePortBase {@code --service-port-base} / {@code MESH_SERVICE_PORT_BASE}: user-svc
 *     listens there, order-svc and payment-svc on the next two ports; replica k adds 10 k
 */
record MeshOptions(
    Path home, Path root, boolean fresh, int replicas, int pgPort, int servicePortBase) {

  static final String USAGE =
      """
      usage: mesh up [--fresh] [--replicas N] [--pg-port P] [--service-port-base B]
        --fresh               start with empty databases
        --replicas N          JVMs per service (default 1)
        --pg-port P           embedded PostgreSQL port (default 15432)
        --service-port-base B user-svc on B, order-svc on B+1, payment-svc on B+2 (default 50051);
                              replica k (from 0) adds 10*k""";

  static MeshOptions parse(String[] args, Map<String, String> env) {
    if (args.length == 0 || !args[0].equals("up")) {
      throw new IllegalArgumentException("expected 'up'");
    }
    Path home = Path.of(env.getOrDefault("MESH_HOME", ".mesh")).toAbsolutePath();
    Path root = Path.of(env.getOrDefault("MESH_ROOT", ".")).toAbsolutePath();
    boolean fresh = false;
    int replicas = intValue("MESH_REPLICAS", env.getOrDefault("MESH_REPLICAS", "1"), 1, 9);
    int pgPort = intValue("MESH_PG_PORT", env.getOrDefault("MESH_PG_PORT", "15432"), 1, 65535);
    int base =
        intValue(
            "MESH_SERVICE_PORT_BASE", env.getOrDefault("MESH_SERVICE_PORT_BASE", "50051"), 1, 65000);
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--fresh" -> fresh = true;
        case "--replicas" -> replicas = intValue("--replicas", value(args, ++i), 1, 9);
        case "--pg-port" -> pgPort = intValue("--pg-port", value(args, ++i), 1, 65535);
        case "--service-port-base" ->
            base = intValue("--service-port-base", value(args, ++i), 1, 65000);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    return new MeshOptions(home, root, fresh, replicas, pgPort, base);
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException(args[i - 1] + " needs a value");
    }
    return args[i];
  }

  private static int intValue(String name, String raw, int min, int max) {
    try {
      int v = Integer.parseInt(raw.trim());
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(name + " must be a number from " + min + " to " + max + ", got '" + raw + "'");
  }
}
