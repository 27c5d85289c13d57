package dev.shopmesh.loadgen;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The end-of-run table: throughput and latency percentiles of the ceiling and each scenario,
 * each scenario also as a ratio to the ceiling, then errors by status.
 */
final class Report {
  private static final String ROW = "%-18s %-7s %10s %10s %7s %8s %8s %8s %8s %8s %7s %7s %8s %8s%n";

  private Report() {}

  static String table(RunResult run) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%nmachine: %s%n", run.machine().summary()));
    sb.append(String.format(Locale.ROOT, "mesh:    %s%n", run.mesh()));
    sb.append(
        String.format(
            Locale.ROOT,
            "load:    %s, warm-up %ds, measured %ds per scenario (mesh warm-up %ds first), %d gRPC channel(s) per target%n%n",
            run.options().load().label(),
            run.options().warmup().toSeconds(),
            run.options().duration().toSeconds(),
            run.meshWarmup().toSeconds(),
            run.options().grpcChannels()));
    sb.append(
        String.format(
            Locale.ROOT, ROW, "scenario", "load", "offered/s", "ok/s", "%ceil", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms",
            "max ms", "p50 ×c", "p99 ×c", "errors", "not ok"));
    ScenarioResult ceiling = run.ceiling();
    List<ScenarioResult> all = new ArrayList<>();
    all.add(ceiling);
    all.addAll(run.scenarios());
    for (ScenarioResult r : all) {
      sb.append(
          String.format(
              Locale.ROOT,
              ROW,
              r.name(),
              r.load(),
              String.format(Locale.ROOT, "%,.0f", r.offered()),
              String.format(Locale.ROOT, "%,.0f", r.throughput()),
              percent(RunResult.ratio(r.throughput(), ceiling.throughput())),
              num(r.percentileMs(50)),
              num(r.percentileMs(90)),
              num(r.percentileMs(99)),
              num(r.percentileMs(99.9)),
              num(r.maxMs()),
              times(RunResult.ratio(r.percentileMs(50), ceiling.percentileMs(50))),
              times(RunResult.ratio(r.percentileMs(99), ceiling.percentileMs(99))),
              r.errorCount(),
              r.unsuccessfulCount()));
    }
    sb.append(
        "\noffered/s: requests due (open loop) or sent (closed loop) per second; ok/s: those that"
            + " succeeded (a create-order only when CONFIRMED); latencies are of the ok ones."
            + "\nerrors: failed requests; not ok: answered without success (an order PENDING_PAYMENT or PAYMENT_DECLINED)."
            + "\n%ceil: ok/s as a share of the ceiling's; ×c: latency as a multiple of the ceiling's."
            + "\nThe ceiling: an empty unary gRPC call to an echo server in this process, over loopback.\n");
    sb.append(
        String.format(
            Locale.ROOT,
            "%nwhere the CPU went while measuring (share of all %d cores)%n%-18s %10s %10s %10s %10s %14s%n",
            run.machine().cores(), "scenario", "generator", "mesh", "others", "machine", "gen µs/req"));
    for (ScenarioResult r : all) {
      CpuMeter.Usage u = r.cpu();
      double perRequest = u.generator() * r.seconds() * run.machine().cores() / Math.max(1, r.sent()) * 1e6;
      sb.append(
          String.format(
              Locale.ROOT,
              "%-18s %10s %10s %10s %10s %14s%n",
              r.name(), percent(u.generator()), percent(u.mesh()), percent(u.others()), percent(u.machine()), num1(perRequest)));
    }
    sb.append("others: what else ran on the machine meanwhile; high values make the run's figures unreliable.\n");    List<String> kinds = all.stream().flatMap(r -> r.cpuPerRequestMicros().keySet().stream()).distinct().sorted().toList();
    if (!kinds.isEmpty()) {
      sb.append(String.format(Locale.ROOT, "%ncpu per request by process, µs (every replica together; the capacity model's input)%n%-18s", "scenario"));
      kinds.forEach(k -> sb.append(String.format(Locale.ROOT, " %17s", k)));
      sb.append('\n');
      for (ScenarioResult r : all) {
        if (r.cpuPerRequestMicros().isEmpty()) {
          continue;
        }
        sb.append(String.format(Locale.ROOT, "%-18s", r.name()));
        kinds.forEach(k -> sb.append(String.format(Locale.ROOT, " %17s", num1(r.cpuPerRequestMicros().getOrDefault(k, Double.NaN)))));
        sb.append('\n');
      }
    }

    boolean anyFailed = false;
    for (ScenarioResult r : all) {
      if (r.failedLatency().getTotalCount() == 0) {
        continue;
      }
      if (!anyFailed) {
        sb.append(String.format(Locale.ROOT, "%nlatency of the requests that did not succeed%n%-18s %8s %8s %8s %8s%n", "scenario", "count", "p50 ms", "p99 ms", "max ms"));
        anyFailed = true;
      }
      sb.append(
          String.format(
              Locale.ROOT,
              "%-18s %8d %8s %8s %8s%n",
              r.name(),
              r.failedLatency().getTotalCount(),
              num(r.failedPercentileMs(50)),
              num(r.failedPercentileMs(99)),
              num(r.failedLatency().getMaxValue() / 1e6)));
    }

    boolean anyErrors = false;
    for (ScenarioResult r : all) {
      Map<String, Long> outcomes = new java.util.TreeMap<>(r.errors());
      outcomes.putAll(r.unsuccessful());
      for (Map.Entry<String, Long> e : outcomes.entrySet()) {
        if (!anyErrors) {
          sb.append("\nerrors and not-ok outcomes by status\n");
          anyErrors = true;
        }
        sb.append(String.format(Locale.ROOT, "  %-18s %-28s %,d%n", r.name(), e.getKey(), e.getValue()));
      }
      if (r.unanswered() > 0) {
        sb.append(String.format(Locale.ROOT, "  %-18s %d request(s) still unanswered at the end%n", r.name(), r.unanswered()));
      }
    }
    for (RunResult.Skipped s : run.skipped()) {
      sb.append(String.format(Locale.ROOT, "skipped %s: %s%n", s.scenario(), s.reason()));
    }
    return sb.toString();
  }

  /** {@code 1.234 ms}, or {@code -} when there is no value. */
  static String ms(double ms) {
    return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.3f ms", ms);
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static String num1(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String percent(double ratio) {
    return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.1f%%", ratio * 100);
  }

  private static String times(double ratio) {
    return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.1f×", ratio);
  }
}
