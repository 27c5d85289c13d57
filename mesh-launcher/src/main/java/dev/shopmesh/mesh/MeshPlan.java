package dev.shopmesh.mesh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What runs where: the databases, and every JVM with its port, command and environment. */
final class MeshPlan {
  record Database(String name, String role, String password) {}

  record Replica(
      String name,
      int grpcPort,
      String listensOn,
      String database,
      List<String> command,
      Map<String, String> env,
      Aot aot) {}

  /**
   * The JVM's ahead-of-time cache of one module (JDK 25+, JEP 514/515): classes loaded and
   * linked at start-up, which cuts a service's start to SERVING by more than half. The first
   * replica of a module records it, into {@code recording}, when it exits; the launcher moves it
   * to {@code cache} once the JVM says it is complete, and later starts use it.
   */
  record Aot(Path cache, Path recording, boolean record) {
    static final String COMPLETE = "AOTCache creation is complete";
  }

  /** One service: its jar, its port offset from the base, and its database. */
  private record Service(String name, int portOffset, Database database) {}

  static final String EDGE = "edge";

  private static final Database USERS = new Database("users", "user_svc", "user_svc");
  private static final Database ORDERS = new Database("orders", "order_svc", "order_svc");
  private static final Database PAYMENTS = new Database("payments", "payment_svc", "payment_svc");
  private static final Database NOTIFICATIONS = new Database("notifications", "notification_svc", "notification_svc");

  private static final List<Service> SERVICES =
      List.of(
          new Service("user-svc", 0, USERS),
          new Service("order-svc", 1, ORDERS),
          new Service("payment-svc", 2, PAYMENTS),
          new Service("notification-svc", 3, NOTIFICATIONS));

  private MeshPlan() {}

  static List<Database> databases() {
    return List.of(USERS, ORDERS, PAYMENTS, NOTIFICATIONS);
  }

  /** payment-svc's internal (mutual TLS) port is its port + this: 51053, 51063, ... */
  static final int INTERNAL_PORT_OFFSET = 1000;

  static DevCertificates certificates(MeshOptions options) {
    return new DevCertificates(options.home().resolve("tls"));
  }

  static List<Replica> replicas(MeshOptions options) {
    List<Replica> replicas = new ArrayList<>();
    DevCertificates tls = certificates(options);
    for (Service service : SERVICES) {
      for (int k = 0; k < options.replicas(); k++) {
        int port = options.servicePortBase() + service.portOffset() + 10 * k;
        String name = options.replicas() == 1 ? service.name() : service.name() + "-" + (k + 1);
        Aot aot = aot(options, service.name(), k == 0);
        Map<String, String> env = new HashMap<>();
        env.put("PORT", Integer.toString(port));
        env.put(
            "DATABASE_URL",
            "postgres://%s:%s@localhost:%d/%s"
                .formatted(service.database().role(), service.database().password(), options.pgPort(), service.database().name()));
        env.put("DB_POOL_SIZE", System.getenv().getOrDefault("DB_POOL_SIZE", "5"));
        env.putAll(DevIdentity.env(options.home(), service.name(), k, System.getenv()));
        String listensOn = "grpc://localhost:" + port;
        if (service.name().equals("user-svc")) {
          listensOn += " http://localhost:" + env.get("JWKS_PORT") + " (JWKS)";
        }
        if (service.name().equals("order-svc")) {
          // order-svc balances over every replica of its peers; payment-svc's internal ports.
          env.put("USER_SVC_TARGET", targets(options, 0));
          env.put("PAYMENT_SVC_TARGET", targets(options, 2, INTERNAL_PORT_OFFSET));
          env.putAll(tls.env(service.name()));
        }
        if (service.name().equals("payment-svc")) {
          env.put("INTERNAL_PORT", Integer.toString(port + INTERNAL_PORT_OFFSET));
          env.putAll(tls.env(service.name()));
          listensOn += ", mTLS :" + (port + INTERNAL_PORT_OFFSET);
        }
        if (service.name().equals("order-svc") || service.name().equals("notification-svc")) {
          // The outbox relay publishes order events to the mesh's broker; notification-svc reads them.
          env.put("KAFKA_BOOTSTRAP_SERVERS", LocalKafka.bootstrapServers(System.getenv()));
        }
        replicas.add(
            new Replica(
                name,
                port,
                listensOn,
                service.database().name(),
                javaCommand(options, service.name(), aot),
                env,
                aot));
      }
    }
    // The edge, in front of every replica of every service.
    Map<String, String> edge = new HashMap<>();
    edge.put("HTTP_PORT", Integer.toString(options.httpPort()));
    edge.put("GRPC_PORT", Integer.toString(options.grpcPort()));
    edge.put("USER_SVC_TARGET", targets(options, 0));
    edge.put("ORDER_SVC_TARGET", targets(options, 1));
    edge.put("PAYMENT_SVC_TARGET", targets(options, 2));
    edge.put("NOTIFICATION_SVC_TARGET", targets(options, 3));
    edge.putAll(DevIdentity.env(options.home(), EDGE, 0, System.getenv()));
    Aot edgeAot = aot(options, "edge-rest-adapter", true);
    replicas.add(
        new Replica(
            EDGE,
            options.grpcPort(),
            "http://localhost:" + options.httpPort() + " grpc://localhost:" + options.grpcPort(),
            "-",
            javaCommand(options, "edge-rest-adapter", edgeAot),
            edge,
            edgeAot));
    return replicas;
  }

  /** {@code localhost:port} of every replica of the service at {@code portOffset}, comma-separated. */
  private static String targets(MeshOptions options, int portOffset) {
    return targets(options, portOffset, 0);
  }

  private static String targets(MeshOptions options, int portOffset, int plus) {
    List<String> all = new ArrayList<>();
    for (int k = 0; k < options.replicas(); k++) {
      all.add("localhost:" + (options.servicePortBase() + portOffset + 10 * k + plus));
    }
    return String.join(",", all);
  }

  /** Stop order, lower ranks first: front to back, so that nothing new comes in. */
  static int stopRank(String processName) {
    if (processName.equals(EDGE)) {
      return 0;
    }
    // order-svc calls the others: it stops next so that its in-flight sagas can finish.
    return processName.startsWith("order-svc") ? 1 : 2;
  }

  /**
   * Small JVMs: a heap and code cache sized for a service that holds no state of its own, so
   * that resident memory stays well under 200 MB; the serial collector, since each JVM has a
   * share of two cores at most; native memory the JIT freed handed back to the OS every 5 s
   * (glibc keeps it otherwise: 20-30 MB per JVM). MESH_JAVA_OPTS adds to (or overrides) these.
   */
  static final List<String> JVM_FLAGS =
      List.of(
          "-XX:+UseSerialGC",
          "-Xms64m",
          "-Xmx128m",
          "-Xss512k",
          "-XX:ReservedCodeCacheSize=64m",
          "-XX:MaxMetaspaceSize=128m",
          "-XX:+ExitOnOutOfMemoryError");

  /** A product flag from JDK 22 on; not every JDK 21 knows it, so it is left out there. */
  private static final String TRIM_NATIVE_HEAP = "-XX:TrimNativeHeapInterval=5000";

  private static Path jar(MeshOptions options, String module) {
    return options.root().resolve(module).resolve("target").resolve(module + ".jar");
  }

  /**
   * {@code MESH_AOT=off}: no ahead-of-time cache, neither used nor recorded. For meshes that
   * start once on a fresh folder, such as the launcher's own tests, where recording would only
   * slow the stop (each JVM assembles its cache as it exits).
   */
  static boolean aotEnabled() {
    return !"off".equalsIgnoreCase(System.getenv().getOrDefault("MESH_AOT", "on").trim());
  }

  private static Aot aot(MeshOptions options, String module, boolean first) {
    Path cache = options.home().resolve("aot").resolve(module + ".aot");
    Path recording = cache.resolveSibling(module + ".aot.recording");
    if (!aotEnabled()) {
      return new Aot(cache, recording, false);
    }
    try {
      // A cache made from an older jar would be refused with warnings: make a new one.
      if (Files.exists(cache) && Files.getLastModifiedTime(cache).compareTo(Files.getLastModifiedTime(jar(options, module))) < 0) {
        Files.delete(cache);
      }
      Files.createDirectories(cache.getParent());
    } catch (IOException e) {
      return new Aot(cache, recording, false);
    }
    boolean supported = Runtime.version().feature() >= 25;
    return new Aot(cache, recording, supported && first && !Files.exists(cache));
  }

  private static List<String> javaCommand(MeshOptions options, String module, Aot aot) {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(JVM_FLAGS);
    if (Runtime.version().feature() >= 22) {
      command.add(TRIM_NATIVE_HEAP);
    }
    if (aotEnabled() && Files.exists(aot.cache())) {
      command.add("-XX:AOTCache=" + aot.cache());
    } else if (aot.record()) {
      command.add("-XX:AOTCacheOutput=" + aot.recording());
    }
    // The cache's own diagnostics (classes it skips) are noise here.
    command.add("-Xlog:aot*=off");
    command.add("-Xlog:cds*=off");
    String extra = System.getenv().getOrDefault("MESH_JAVA_OPTS", "").trim();
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.split("\\s+")));
    }
    command.add("-jar");
    command.add(jar(options, module).toString());
    return command;
  }
}
