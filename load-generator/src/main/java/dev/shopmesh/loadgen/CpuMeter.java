package dev.shopmesh.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Where the CPU went while a scenario was measured: the generator itself, the mesh's processes
 * (when the run started them, so it knows them), and the whole machine (Linux {@code /proc/stat}).
 * The machine's share minus the other two is what anything else on the box took: on a shared
 * 2-core machine, the figure that says whether a run can be trusted.
 */
final class CpuMeter {
  private final Supplier<List<ProcessHandle>> mesh;
  private final Map<Long, String> kinds = new java.util.concurrent.ConcurrentHashMap<>();

  /** {@code mesh} lists the mesh's processes at the moment of asking; empty when unknown. */
  CpuMeter(Supplier<List<ProcessHandle>> mesh) {
    this.mesh = mesh;
  }

  static CpuMeter generatorOnly() {
    return new CpuMeter(List::of);
  }

  /**
   * CPU time so far: of this process, of the mesh's, and of the machine (busy and total); and
   * of each mesh process by pid.
   */
  record Sample(
      long wallNanos,
      long selfNanos,
      long meshNanos,
      long machineBusyTicks,
      long machineTotalTicks,
      Map<Long, Long> byPidNanos) {}

  /**
   * Shares of the machine's capacity (all cores) between two samples; NaN where unknown.
   *
   * @param others what the machine did beyond the generator and the mesh
   */
  record Usage(double generator, double mesh, double machine, double others) {
    static final Usage UNKNOWN = new Usage(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
  }

  Sample sample() {
    long[] machine = machineTicks();
    List<ProcessHandle> processes = mesh.get();
    long meshNanos = 0;
    Map<Long, Long> byPid = new TreeMap<>();
    for (ProcessHandle p : processes) {
      ProcessHandle.Info info = p.info();
      long nanos = info.totalCpuDuration().map(Duration::toNanos).orElse(0L);
      meshNanos += nanos;
      byPid.put(p.pid(), nanos);
      // The kind is remembered from whichever sample could read the command line.
      if (!kinds.containsKey(p.pid())) {
        String kind = kind(info);
        if (!kind.equals("other")) {
          kinds.put(p.pid(), kind);
        }
      }
    }
    long self =
        ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    return new Sample(System.nanoTime(), self, processes.isEmpty() ? -1 : meshNanos, machine[0], machine[1], byPid);
  }

  /**
   * What a mesh process is, from its command line: the module whose jar it runs ({@code
   * user-svc}, {@code edge-rest-adapter}, {@code mesh-launcher}...), {@code postgres} for the
   * server and its backends, else {@code other}.
   */
  static String kind(ProcessHandle.Info info) {
    String command = info.command().orElse("");
    String line = info.commandLine().orElse(command);
    Matcher jar = JAR.matcher(line);
    if (jar.find()) {
      return jar.group(1);
    }
    if (command.endsWith("/postgres") || command.equals("postgres")) {
      return "postgres";
    }
    return "other";
  }

  private static final Pattern JAR = Pattern.compile("([A-Za-z0-9-]+)\\.jar(\\s|$)");

  /**
   * CPU time of each process kind per successful request between two samples, in microseconds:
   * the capacity model's input (docs/KUBERNETES.md). Each process's own difference is taken and
   * added to its kind; a process that started in between counts whole.
   */
  Map<String, Double> perRequestMicros(Sample a, Sample b, long requests) {
    Map<String, Double> out = new TreeMap<>();
    if (a == null || b == null || requests <= 0) {
      return out;
    }
    b.byPidNanos().forEach((pid, nanos) -> {
      long delta = Math.max(0, nanos - a.byPidNanos().getOrDefault(pid, 0L));
      out.merge(kinds.getOrDefault(pid, "other"), delta / 1e3 / requests, Double::sum);
    });
    return out;
  }

  static Usage between(Sample a, Sample b) {
    if (a == null || b == null) {
      return Usage.UNKNOWN;
    }
    double capacity = (b.wallNanos() - a.wallNanos()) * (double) Runtime.getRuntime().availableProcessors();
    double generator = a.selfNanos() < 0 ? Double.NaN : (b.selfNanos() - a.selfNanos()) / capacity;
    double mesh = a.meshNanos() < 0 || b.meshNanos() < 0 ? Double.NaN : Math.max(0, b.meshNanos() - a.meshNanos()) / capacity;
    long total = b.machineTotalTicks() - a.machineTotalTicks();
    double machine = total <= 0 ? Double.NaN : (b.machineBusyTicks() - a.machineBusyTicks()) / (double) total;
    double others = Math.max(0, machine - generator - (Double.isNaN(mesh) ? 0 : mesh));
    return new Usage(generator, mesh, machine, Double.isNaN(mesh) ? Double.NaN : others);
  }

  /** Busy and total ticks of all CPUs, from the first line of /proc/stat; zeros elsewhere. */
  private static long[] machineTicks() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/stat"))) {
      String[] f = lines.findFirst().orElse("").trim().split("\\s+");
      long total = 0;
      long idle = 0;
      for (int i = 1; i < f.length && i <= 8; i++) { // user nice system idle iowait irq softirq steal
        long v = Long.parseLong(f[i]);
        total += v;
        if (i == 4 || i == 5) {
          idle += v;
        }
      }
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }
}
