package dev.shopmesh.mesh;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import sun.misc.Signal;

/**
 * {@code ./mesh up}: the whole mesh on this machine without Docker. An embedded PostgreSQL with
 * one database and role per service, then every service as its own JVM, in the foreground until
 * Ctrl-C (a second Ctrl-C kills instead of draining).
 */
public final class MeshMain {
  private final MeshOptions options;
  // Guarded by itself, so that a stop sees every process started and none starts after it.
  private final List<ServiceProcess> processes = new ArrayList<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicInteger interrupts = new AtomicInteger();
  private LocalPostgres postgres;
  private ServiceProcess kafka;
  private FileChannel lock; // held, not closed, while this launcher runs

  private MeshMain(MeshOptions options) {
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.zonky"))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    MeshOptions options;
    try {
      options = MeshOptions.parse(args, System.getenv());
    } catch (MeshOptions.HelpRequested e) {
      System.out.println(MeshOptions.USAGE);
      return;
    } catch (IllegalArgumentException e) {
      System.err.println("mesh: " + e.getMessage());
      System.err.println(MeshOptions.USAGE);
      System.exit(2);
      return;
    }
    try {
      new MeshMain(options).up();
    } catch (AlreadyRunning e) {
      System.err.println("mesh: " + e.getMessage());
      System.exit(1);
    } catch (Exception e) {
      System.err.println("mesh: cannot start: " + e);
      System.exit(1);
    }
  }

  /** Another launcher owns this mesh's data folder. */
  private static final class AlreadyRunning extends Exception {
    private static final long serialVersionUID = 1L;

    AlreadyRunning(String message) {
      super(message);
    }
  }

  private void up() throws Exception {
    Path home = options.home();
    Path runDir = home.resolve("run");
    Files.createDirectories(runDir);
    // One launcher per data folder: a second one would take the first one's processes for
    // leftovers of a crash and stop them. The lock goes with this process, however it ends.
    lock = FileChannel.open(runDir.resolve("mesh.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    if (lock.tryLock() == null) {
      throw new AlreadyRunning(
          "another ./mesh up is running on " + home + "; stop it first (or set MESH_HOME for a second mesh)");
    }
    killLeftovers(runDir);
    if (options.fresh()) {
      Mesh.say("--fresh: deleting " + home.resolve("pgdata"));
      deleteTree(home.resolve("pgdata"));
      Mesh.say("--fresh: deleting " + LocalKafka.dataDir(options));
      deleteTree(LocalKafka.dataDir(options));
    }
    Signal.handle(new Signal("INT"), s -> onSignal());
    Signal.handle(new Signal("TERM"), s -> onSignal());

    Mesh.say("starting PostgreSQL on port " + options.pgPort() + " (data in " + home.resolve("pgdata") + ")");
    postgres = LocalPostgres.start(home.resolve("pgdata"), options.pgPort());
    DevKeys.ensure(home);
    List<MeshPlan.Replica> plan = MeshPlan.replicas(options);
    for (MeshPlan.Database db : MeshPlan.databases()) {
      postgres.ensureDatabase(db.name(), db.role(), db.password());
    }
    // Before the services (order-svc publishes to it), stopped after them.
    Mesh.say("starting Kafka on port " + LocalKafka.port(System.getenv()) + " (data in " + LocalKafka.dataDir(options) + ")");
    synchronized (processes) {
      if (!stopRequested()) {
        kafka = LocalKafka.process(options, runDir, System.getenv());
        kafka.start();
      }
    }
    if (kafka != null) {
      LocalKafka.awaitUp(System.getenv(), Duration.ofSeconds(60));
    }

    // One at a time, each once the one before is SERVING: JVMs starting together share the
    // cores and all start late, while in turn each is up in a fraction of the time and the mesh
    // as a whole is up no later (docs/PERFORMANCE.md, "Start-up").
    List<String> upIn = new ArrayList<>();
    for (MeshPlan.Replica replica : plan) {
      ServiceProcess p =
          new ServiceProcess(
              replica.name(), replica.command(), replica.env(), replica.grpcPort(), runDir, replica.aot());
      synchronized (processes) {
        if (stopRequested()) {
          break; // Ctrl-C while starting
        }
        processes.add(p);
        p.start();
      }
      Optional<Duration> serving = p.awaitServing(Duration.ofSeconds(60));
      if (serving.isEmpty() && !stopRequested()) {
        Mesh.say(p.name() + " is not SERVING after 60s; see its output above");
      }
      upIn.add(serving.map(d -> String.format("%.2fs", d.toMillis() / 1000.0)).orElse("not yet"));
    }
    if (!stopRequested()) {
      printTable(plan, upIn);
    }
    stopped.await();
    System.exit(0);
  }

  private void onSignal() {
    if (interrupts.incrementAndGet() == 1) {
      Thread.ofPlatform().name("mesh-stop").start(this::stopGracefully);
    } else {
      Mesh.say("second interrupt: killing everything now");
      snapshot().forEach(ServiceProcess::kill);
      if (kafka != null) {
        kafka.kill();
      }
      closePostgres();
      Runtime.getRuntime().halt(130);
    }
  }

  private void stopGracefully() {
    Mesh.say("stopping (Ctrl-C again to kill at once)");
    // Front to back: the edge first, so that nothing new comes in, then the services.
    List<ServiceProcess> order = new ArrayList<>(snapshot());
    order.sort(Comparator.comparingInt(p -> MeshPlan.stopRank(p.name())));
    for (int rank : order.stream().map(p -> MeshPlan.stopRank(p.name())).distinct().toList()) {
      List<ServiceProcess> wave = order.stream().filter(p -> MeshPlan.stopRank(p.name()) == rank).toList();
      wave.forEach(ServiceProcess::requestStop);
      for (ServiceProcess p : wave) {
        try {
          p.awaitStop(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    stopKafka();
    closePostgres();
    Mesh.say("stopped");
    stopped.countDown();
  }

  /** Set before the stop takes its snapshot: a start that sees it unset is in that snapshot. */
  private boolean stopRequested() {
    return interrupts.get() > 0;
  }

  private List<ServiceProcess> snapshot() {
    synchronized (processes) {
      return List.copyOf(processes);
    }
  }

  private void stopKafka() {
    if (kafka != null) {
      kafka.requestStop();
      try {
        kafka.awaitStop(Duration.ofSeconds(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void closePostgres() {
    if (postgres != null) {
      try {
        postgres.close();
      } catch (IOException e) {
        Mesh.say("stopping PostgreSQL failed: " + e.getMessage());
      }
    }
  }

  private void printTable(List<MeshPlan.Replica> plan, List<String> upIn) {
    Mesh.say("");
    String row = "%-14s %-8s %-52s %-10s %s";
    Mesh.say(String.format(row, "PROCESS", "PID", "LISTENS ON", "SERVING", "DATABASE"));
    Mesh.say(String.format(row, "postgres", "-", "localhost:" + postgres.port(), "-", "users, orders, payments, notifications"));
    if (kafka != null) {
      Mesh.say(String.format(row, LocalKafka.NAME, kafka.pid(), "kafka://" + LocalKafka.bootstrapServers(System.getenv()), "-", "topic " + dev.shopmesh.platform.kafka.KafkaSettings.DEFAULT_TOPIC));
    }
    for (int i = 0; i < plan.size(); i++) {
      MeshPlan.Replica r = plan.get(i);
      Mesh.say(String.format(row, r.name(), processes.get(i).pid(), r.listensOn(), "in " + upIn.get(i), r.database()));
    }
    boolean allServing = upIn.stream().noneMatch(u -> u.equals("not yet"));
    Mesh.say("");
    Mesh.say("REST: curl http://localhost:" + options.httpPort() + "/v1/users   gRPC: grpcurl -plaintext localhost:" + options.grpcPort() + " list");
    Mesh.say(allServing ? "mesh is up. Ctrl-C stops it." : "mesh is up, but not every process is SERVING.");
  }

  private static void killLeftovers(Path runDir) throws IOException {
    try (Stream<Path> pids = Files.list(runDir)) {
      pids.filter(p -> p.toString().endsWith(".pid")).forEach(ServiceProcess::killLeftover);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
