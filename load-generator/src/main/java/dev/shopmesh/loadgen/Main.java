package dev.shopmesh.loadgen;

import dev.shopmesh.platform.logging.Logging;
import java.util.List;

/**
 * {@code ./mesh bench}: the load generator. Only wires: options, the run, and a shutdown hook
 * that stops a mesh the run started when the run is interrupted.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    Logging.install();
    if (BenchOptions.wantsHelp(args)) {
      System.out.println(BenchOptions.USAGE);
      return;
    }
    BenchOptions options;
    try {
      options = BenchOptions.parse(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage());
      System.err.println("bench: see ./mesh bench --help");
      System.exit(2);
      return;
    }
    Bench bench = new Bench(options, List.of(args), System.out);
    Runtime.getRuntime().addShutdownHook(new Thread(bench::stopOwnMesh, "bench-stop-mesh"));
    try {
      bench.run();
    } catch (BenchException e) {
      System.err.println("bench: " + e.getMessage());
      System.exit(1);
    }
    System.exit(0);
  }
}
