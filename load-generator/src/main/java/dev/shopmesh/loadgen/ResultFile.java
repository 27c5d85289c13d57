package dev.shopmesh.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.HistogramIterationValue;

/** {@code result.json}: everything the table says, plus each latency distribution in full. */
final class ResultFile {
  private ResultFile() {}

  static Path write(RunResult run, Path file) throws IOException {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("tool", "shopmesh load-generator");
    root.put("startedAt", run.startedAt().toString());
    root.put("arguments", run.arguments());
    MachineInfo m = run.machine();
    Map<String, Object> machine = new LinkedHashMap<>();
    machine.put("cores", m.cores());
    machine.put("cpuModel", m.cpuModel());
    machine.put("memoryGiB", m.memoryGiB());
    machine.put("java", m.java());
    machine.put("os", m.os());
    root.put("machine", machine);
    Map<String, Object> load = new LinkedHashMap<>();
    switch (run.options().load()) {
      case Load.Closed c -> {
        load.put("mode", "closed");
        load.put("concurrency", c.concurrency());
      }
      case Load.Open o -> {
        load.put("mode", "open");
        load.put("rate", o.rate());
        load.put("maxInFlight", o.maxInFlight());
      }
    }
    load.put("warmupSeconds", run.options().warmup().toMillis() / 1000.0);
    load.put("durationSeconds", run.options().duration().toMillis() / 1000.0);
    load.put("meshWarmupSeconds", run.meshWarmup().toMillis() / 1000.0);
    load.put("timeoutSeconds", run.options().timeout().toMillis() / 1000.0);
    load.put("grpcChannels", run.options().grpcChannels());
    load.put("users", run.options().users());
    root.put("load", load);
    Map<String, Object> targets = new LinkedHashMap<>();
    targets.put("mesh", run.mesh());
    targets.put("userGrpc", run.targets().userGrpc());
    targets.put("edgeGrpc", run.targets().edgeGrpc());
    targets.put("edgeHttp", run.targets().edgeHttp().toString());
    root.put("targets", targets);
    root.put("ceiling", scenario(run.ceiling(), run.ceiling()));
    List<Object> scenarios = new ArrayList<>();
    for (ScenarioResult r : run.scenarios()) {
      scenarios.add(scenario(r, run.ceiling()));
    }
    root.put("scenarios", scenarios);
    List<Object> skipped = new ArrayList<>();
    for (RunResult.Skipped s : run.skipped()) {
      skipped.add(Map.of("scenario", s.scenario(), "reason", s.reason()));
    }
    root.put("skipped", skipped);
    Files.writeString(file, Json.write(root));
    return file;
  }

  private static Map<String, Object> scenario(ScenarioResult r, ScenarioResult ceiling) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("name", r.name());
    s.put("description", r.description());
    s.put("load", r.load());
    s.put("seconds", r.seconds());
    s.put("sent", r.sent());
    s.put("ok", r.ok());
    s.put("errors", r.errorCount());
    s.put("unanswered", r.unanswered());
    s.put("errorsByStatus", new LinkedHashMap<>(r.errors()));
    s.put("notOk", r.unsuccessfulCount());
    s.put("notOkByOutcome", new LinkedHashMap<>(r.unsuccessful()));
    s.put("offeredPerSecond", r.offered());
    s.put("histogramCount", r.latency().getTotalCount());
    s.put("throughputPerSecond", r.throughput());
    Map<String, Object> latency = new LinkedHashMap<>();
    latency.put("mean", r.meanMs());
    latency.put("p50", r.percentileMs(50));
    latency.put("p90", r.percentileMs(90));
    latency.put("p99", r.percentileMs(99));
    latency.put("p99_9", r.percentileMs(99.9));
    latency.put("max", r.maxMs());
    s.put("latencyMs", latency);
    Map<String, Object> failed = new LinkedHashMap<>();
    failed.put("count", r.failedLatency().getTotalCount());
    failed.put("p50", r.failedPercentileMs(50));
    failed.put("p99", r.failedPercentileMs(99));
    failed.put("max", r.failedLatency().getTotalCount() == 0 ? Double.NaN : r.failedLatency().getMaxValue() / 1e6);
    s.put("failedLatencyMs", failed);
    Map<String, Object> ratio = new LinkedHashMap<>();
    ratio.put("throughput", RunResult.ratio(r.throughput(), ceiling.throughput()));
    ratio.put("p50", RunResult.ratio(r.percentileMs(50), ceiling.percentileMs(50)));
    ratio.put("p99", RunResult.ratio(r.percentileMs(99), ceiling.percentileMs(99)));
    s.put("ratioToCeiling", ratio);
    Map<String, Object> cpu = new LinkedHashMap<>();
    cpu.put("generator", r.cpu().generator());
    cpu.put("mesh", r.cpu().mesh());
    cpu.put("machine", r.cpu().machine());
    cpu.put("others", r.cpu().others());
    s.put("cpuShareOfMachine", cpu);
    // CPU time per successful request of each kind of mesh process (every replica together),
    // measured over the scenario's window: the capacity model's input.
    s.put("cpuPerRequestMicros", r.cpuPerRequestMicros());
    List<Object> distribution = new ArrayList<>();
    if (r.latency().getTotalCount() > 0) {
      for (HistogramIterationValue v : r.latency().percentiles(5)) {
        distribution.add(List.of(v.getPercentileLevelIteratedTo(), v.getValueIteratedTo() / 1e6));
      }
    }
    s.put("percentileDistributionMs", distribution);
    return s;
  }
}
