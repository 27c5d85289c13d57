package dev.shopmesh.loadgen;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * One benchmark run: find or start the mesh, measure the ceiling, create the setup data, run
 * each scenario, then write the table, {@code result.json} and {@code latency.svg}.
 */
final class Bench {
  private static final Duration PROBE = Duration.ofSeconds(2);
  /** JVMs that just started need this long, here, before their hot paths are compiled. */
  private static final Duration OWN_MESH_WARMUP = Duration.ofSeconds(30);

  private final BenchOptions options;
  private final List<String> arguments;
  private final PrintStream out;
  private OwnMesh ownMesh;

  Bench(BenchOptions options, List<String> arguments, PrintStream out) {
    this.options = options;
    this.arguments = List.copyOf(arguments);
    this.out = out;
  }

  RunResult run() throws IOException, InterruptedException {
    Instant startedAt = Instant.now();
    Files.createDirectories(options.out());
    MachineInfo machine = MachineInfo.current();
    out.println("bench: " + machine.summary());
    out.println("bench: results go to " + options.out());
    try {
      Targets targets = targets();
      String mesh = ownMesh != null ? ownMesh.description() : "already running at the targets";
      try (Clients clients = new Clients(options.grpcChannels(), options.timeout())) {
        CpuMeter cpu = ownMesh != null ? new CpuMeter(ownMesh::processes) : CpuMeter.generatorOnly();
        ScenarioRun runner =
            new ScenarioRun(
                options.load(), options.warmup(), options.duration(), options.timeout(), options.out(), out, cpu);
        ScenarioResult ceiling = ceiling(clients, runner);
        List<RunResult.Skipped> skipped = new ArrayList<>();
        List<Scenario> runnable = reachable(targets, skipped);
        List<ScenarioResult> results = new ArrayList<>();
        Duration meshWarmup = Duration.ZERO;
        if (!runnable.isEmpty()) {
          UserPool users = setup(clients, targets, runnable);
          meshWarmup = options.meshWarmup().orElse(ownMesh != null ? OWN_MESH_WARMUP : Duration.ZERO);
          warmUpMesh(runner, meshWarmup, runnable, clients, targets, users);
          for (Scenario s : runnable) {
            results.add(runner.run(s.id(), s.description(), operation(s, clients, targets, users)));
          }
        }
        RunResult run =
            new RunResult(
                startedAt, arguments, machine, options, mesh, meshWarmup, targets, ceiling, results, skipped, options.out());
        write(run);
        return run;
      }
    } finally {
      stopOwnMesh();
    }
  }

  /** The selected scenarios whose targets answer; the others go to {@code skipped}, with why. */
  private List<Scenario> reachable(Targets targets, List<RunResult.Skipped> skipped) {
    Map<Endpoint, Boolean> answering = new EnumMap<>(Endpoint.class);
    List<Scenario> runnable = new ArrayList<>();
    for (Scenario s : options.scenarios()) {
      List<Endpoint> down =
          s.endpoints().stream()
              .filter(e -> !answering.computeIfAbsent(e, x -> Reachability.answers(x, targets, PROBE)))
              .toList();
      if (down.isEmpty()) {
        runnable.add(s);
      } else {
        String reason =
            String.join(", ", down.stream().map(e -> e.flag() + " " + targets.address(e)).toList()) + " does not answer";
        out.println("bench: skipping " + s.id() + ": " + reason);
        skipped.add(new RunResult.Skipped(s.id(), reason));
      }
    }
    return runnable;
  }

  /** Every runnable scenario (but the mix, which only repeats them) in equal parts, unmeasured. */
  private void warmUpMesh(
      ScenarioRun runner, Duration time, List<Scenario> runnable, Clients clients, Targets targets, UserPool users)
      throws IOException, InterruptedException {
    if (time.isZero()) {
      return;
    }
    List<Scenario> parts = runnable.stream().filter(s -> s != Scenario.MIX).toList();
    List<Scenario> warm = parts.isEmpty() ? runnable : parts;
    runner.warmUp(
        "every scenario to run, in equal parts",
        Operations.mix(
            warm.stream().map(s -> operation(s, clients, targets, users)).toList(),
            warm.stream().map(s -> 1).toList()),
        time);
  }

  private void write(RunResult run) throws IOException {
    out.print(Report.table(run));
    Path json = ResultFile.write(run, options.out().resolve("result.json"));
    Path svg = PercentilePlot.write(run, options.out().resolve("latency.svg"));
    out.println("\nbench: wrote " + json + ", " + svg + " and one HdrHistogram log (.hlog) per scenario");
  }

  /** Stops a mesh this run started, if it is still up; for the end and for Ctrl-C. */
  void stopOwnMesh() {
    OwnMesh mesh;
    synchronized (this) {
      mesh = ownMesh;
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  private Targets targets() throws IOException, InterruptedException {
    BenchOptions.MeshMode mode = options.mesh();
    if (mode == BenchOptions.MeshMode.AUTO) {
      if (Reachability.grpcServing(options.targets().userGrpc(), PROBE)) {
        out.println("bench: using the mesh running at " + options.targets().userGrpc());
        return options.targets();
      }
      out.println("bench: no mesh answers at " + options.targets().userGrpc());
      mode = BenchOptions.MeshMode.START;
    }
    if (mode == BenchOptions.MeshMode.RUNNING) {
      return options.targets();
    }
    OwnMesh started = OwnMesh.launch(options.root(), options.home(), options.meshReplicas(), options.out(), out);
    synchronized (this) {
      ownMesh = started; // from here on, Ctrl-C stops it too
    }
    started.awaitUp(out);
    return started.targets();
  }

  private ScenarioResult ceiling(Clients clients, ScenarioRun runner) throws IOException, InterruptedException {
    try (EchoServer echo = EchoServer.start();
        GrpcChannels channels = clients.openGrpc(echo.target())) {
      return runner.run(
          "ceiling",
          "empty unary gRPC call to an in-process echo server over loopback (Netty)",
          Operations.echo(channels, options.timeout()));
    }
  }

  /** Users for the scenarios, through user-svc when a scenario uses it, else through the edge. */
  private UserPool setup(Clients clients, Targets targets, List<Scenario> scenarios) throws InterruptedException {
    boolean direct = scenarios.stream().anyMatch(s -> s.endpoints().contains(Endpoint.USER_GRPC));
    // Straight to user-svc when it is reachable: the edges rate-limit sign-ups and sign-ins per
    // address (EDGE_SIGN_IN_RATE), which a setup of hundreds of users from one address exceeds.
    String via =
        direct || Reachability.grpcServing(targets.userGrpc(), PROBE) ? targets.userGrpc() : targets.edgeGrpc();
    out.printf("%nsetup: creating %d users through %s (not timed)%n", options.users(), via);
    long start = System.nanoTime();
    UserPool users = SetupData.createUsers(clients.grpc(via).get(0), options.users(), options.timeout());
    out.printf("setup: done in %.1fs%n", (System.nanoTime() - start) / 1e9);
    return users;
  }

  private Operation operation(Scenario s, Clients clients, Targets t, UserPool users) {
    Duration timeout = options.timeout();
    return switch (s) {
      case GRPC_GET_USER -> Operations.grpcGetUser(clients.grpc(t.userGrpc()), users, timeout);
      case REST_GET_USER -> Operations.restGetUser(clients.rest(t.edgeHttp()), users);
      case GRPC_CREATE_ORDER -> Operations.grpcCreateOrder(clients.grpc(t.edgeGrpc()), users, timeout);
      case REST_CREATE_ORDER -> Operations.restCreateOrder(clients.rest(t.edgeHttp()), users);
      case MIX ->
          Operations.mix(
              List.of(
                  operation(Scenario.REST_GET_USER, clients, t, users),
                  operation(Scenario.GRPC_GET_USER, clients, t, users),
                  operation(Scenario.REST_CREATE_ORDER, clients, t, users),
                  operation(Scenario.GRPC_CREATE_ORDER, clients, t, users)),
              List.of(45, 35, 10, 10));
    };
  }
}
