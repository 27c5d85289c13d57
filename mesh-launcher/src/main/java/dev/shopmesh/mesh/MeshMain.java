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
  private volatile WatchdogLink watchdog;
  private volatile int exitCode; // 0 for a stop on a signal, 1 for a start that failed

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
    } catch (AlreadyRunning | StartFailed e) {
      System.err.println("mesh: " + (e instanceof StartFailed ? "cannot start: " : "") + e.getMessage());
      System.exit(1);
    } catch (Exception e) {
      System.err.println("mesh: cannot start: " + e);
      System.exit(1);
    }
  }

  /** The mesh cannot start, for a reason this message gives in full. */
  private static final class StartFailed extends Exception {
    private static final long serialVersionUID = 1L;

    StartFailed(String message) {
      super(message);
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
    // Before --fresh deletes its folder: a leftover server would keep the port (and its files).
    LocalPostgres.stopLeftover(home.resolve("pgdata"));
    DevKeys.ensure(home);
    DevCertificates tls = MeshPlan.certificates(options);
    List<java.nio.file.Path> issued = tls.ensure("rw-------");
    if (!issued.isEmpty()) {
      Mesh.say("made the mesh's dev CA and service certificates in " + tls.ca().getParent() + " (kept for later runs)");
    }
    List<MeshPlan.Replica> plan = MeshPlan.replicas(options);
    java.util.Set<Integer> ports = new java.util.TreeSet<>(Ports.of(options, plan));
    int kafkaPort = LocalKafka.port(System.getenv());
    ports.add(kafkaPort); // the broker, and its KRaft controller on the next port
    ports.add(kafkaPort + 1);
    List<String> busy = Ports.busy(ports);
    if (!busy.isEmpty()) {
      // Nothing has started: a busy port is someone else's server, never to be taken for ours.
      throw new StartFailed(
          String.join("; ", busy) + ". Stop that process, or choose other ports (./mesh up --help)");
    }
    if (options.fresh()) {
      Mesh.say("--fresh: deleting " + home.resolve("pgdata"));
      deleteTree(home.resolve("pgdata"));
      Mesh.say("--fresh: deleting " + LocalKafka.dataDir(options));
      deleteTree(LocalKafka.dataDir(options));
    }
    watchdog = WatchdogLink.start(runDir);
    // TERM (a service manager, kill), INT (Ctrl-C), HUP (the terminal closed): the same stop.
    for (String signal : List.of("INT", "TERM", "HUP")) {
      Signal.handle(new Signal(signal), s -> onSignal());
    }

    List<String> upIn = new ArrayList<>();
    try {
      Mesh.say("starting PostgreSQL on port " + options.pgPort() + " (data in " + home.resolve("pgdata") + ")");
      postgres = LocalPostgres.start(home.resolve("pgdata"), options.pgPort());
      postgres.pid().ifPresent(watchdog::postgres);
      for (MeshPlan.Database db : MeshPlan.databases()) {
        postgres.ensureDatabase(db.name(), db.role(), db.password());
      }
      // Before the services (order-svc publishes to it), stopped after them.
      Mesh.say("starting Kafka on port " + LocalKafka.port(System.getenv()) + " (data in " + LocalKafka.dataDir(options) + ")");
      synchronized (processes) {
        if (!stopRequested()) {
          kafka = LocalKafka.process(options, runDir, System.getenv(), watchdog);
          kafka.start();
        }
      }
      if (kafka != null && LocalKafka.awaitUp(System.getenv(), Duration.ofSeconds(60)).isPresent()) {
        kafka.up(); // a broker that dies later is restarted, as a service that was SERVING is
      }

      // One at a time, each once the one before is SERVING: JVMs starting together share the
      // cores and all start late, while in turn each is up in a fraction of the time and the mesh
      // as a whole is up no later (docs/PERFORMANCE.md, "Start-up").
      for (MeshPlan.Replica replica : plan) {
        ServiceProcess p =
            new ServiceProcess(
                replica.name(), replica.command(), replica.env(), replica.grpcPort(), runDir, replica.aot(), watchdog);
        synchronized (processes) {
          if (stopRequested()) {
            break; // Ctrl-C while starting
          }
          processes.add(p);
          p.start();
        }
        Optional<Duration> serving = p.awaitServing(Duration.ofSeconds(60));
        if (p.gaveUp().isPresent()) {
          throw new StartFailed(p.name() + " " + p.gaveUp().get());
        }
        if (serving.isEmpty() && !stopRequested()) {
          Mesh.say(p.name() + " is not SERVING after 60s; see its output above");
        }
        upIn.add(serving.map(d -> String.format("%.2fs", d.toMillis() / 1000.0)).orElse("not yet"));
      }
    } catch (Exception e) {
      // Whatever had started stops again: a failed start leaves nothing behind.
      String why = e instanceof StartFailed ? e.getMessage() : e.toString();
      Mesh.say("cannot start: " + why + "; stopping what had started");
      if (interrupts.compareAndSet(0, 1)) {
        exitCode = 1;
        stopGracefully();
      }
      stopped.await();
    }
    if (!stopRequested()) {
      printTable(plan, upIn);
    }
    stopped.await();
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
      closeWatchdog();
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
    closeWatchdog();
    Mesh.say("stopped");
    stopped.countDown();
    // Everything this launcher started has stopped: end here, from the thread that did the stop.
    // Not System.exit: a launcher under ./mesh test once hung in it after "stopped" (shutdown
    // hooks of libraries, none of which has anything left to do), and the mesh looked alive.
    Mesh.OUT.flush();
    Runtime.getRuntime().halt(exitCode);
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

  private void closeWatchdog() {
    WatchdogLink w = watchdog;
    if (w != null) {
      w.close();
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
