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
 * @param httpPort {@code --http-port} / {@code MESH_HTTP_PORT}: the edge's REST port
 * @param grpcPort {@code --grpc-port} / {@code MESH_GRPC_PORT}: the edge's gRPC port
 */
record MeshOptions(
    Path home,
    Path root,
    boolean fresh,
    int replicas,
    int pgPort,
    int servicePortBase,
    int httpPort,
    int grpcPort) {

  static final String USAGE =
      """
      usage: mesh up [--fresh] [--replicas N] [--pg-port P] [--service-port-base B]
                     [--http-port H] [--grpc-port G]
        --fresh               start with empty databases
        --replicas N          JVMs per service (default 2)
        --pg-port P           embedded PostgreSQL port (default 15432)
        --service-port-base B user-svc on B, order-svc on B+1, payment-svc on B+2 (default 50051);
                              replica k (from 0) adds 10*k
        --http-port H         the edge's REST/JSON port (default 8080)
        --grpc-port G         the edge's gRPC port (default 9090)
      Every option also has an environment variable: MESH_REPLICAS, MESH_PG_PORT,
      MESH_SERVICE_PORT_BASE, MESH_HTTP_PORT, MESH_GRPC_PORT.""";

  /**
   * Prints the usage. {@code ./mesh up --help} runs this file as a source-file program, so that
   * the help needs no build: keep this file free of anything but the JDK.
   */
  public static void main(String[] args) {
    System.out.println(USAGE);
  }

  static MeshOptions parse(String[] args, Map<String, String> env) {
    if (args.length == 0 || !args[0].equals("up")) {
      throw new IllegalArgumentException("expected 'up'");
    }
    Path home = Path.of(env.getOrDefault("MESH_HOME", ".mesh")).toAbsolutePath();
    Path root = Path.of(env.getOrDefault("MESH_ROOT", ".")).toAbsolutePath();
    boolean fresh = false;
    int replicas = intValue("MESH_REPLICAS", env.getOrDefault("MESH_REPLICAS", "2"), 1, 9);
    int pgPort = intValue("MESH_PG_PORT", env.getOrDefault("MESH_PG_PORT", "15432"), 1, 65535);
    int base =
        intValue(
            "MESH_SERVICE_PORT_BASE", env.getOrDefault("MESH_SERVICE_PORT_BASE", "50051"), 1, 65000);
    int http = intValue("MESH_HTTP_PORT", env.getOrDefault("MESH_HTTP_PORT", "8080"), 1, 65535);
    int grpc = intValue("MESH_GRPC_PORT", env.getOrDefault("MESH_GRPC_PORT", "9090"), 1, 65535);
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--fresh" -> fresh = true;
        case "--help", "-h" -> throw new HelpRequested();
        case "--replicas" -> replicas = intValue("--replicas", value(args, ++i), 1, 9);
        case "--pg-port" -> pgPort = intValue("--pg-port", value(args, ++i), 1, 65535);
        case "--service-port-base" ->
            base = intValue("--service-port-base", value(args, ++i), 1, 65000);
        case "--http-port" -> http = intValue("--http-port", value(args, ++i), 1, 65535);
        case "--grpc-port" -> grpc = intValue("--grpc-port", value(args, ++i), 1, 65535);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    return new MeshOptions(home, root, fresh, replicas, pgPort, base, http, grpc);
  }

  /** {@code --help}: the caller prints the usage and exits 0. */
  static final class HelpRequested extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HelpRequested() {
      super("help", null, false, false);
    }
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
