package dev.shopmesh.loadgen;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A whole run: where and how it ran, the ceiling, and each scenario.
 *
 * @param arguments the command line, as given
 * @param mesh how the mesh was found: started by the run, or already running
 * @param meshWarmup how long the mesh was warmed up before the first scenario
 * @param skipped scenarios that did not run, each with why
 */
record RunResult(
    Instant startedAt,
    List<String> arguments,
    MachineInfo machine,
    BenchOptions options,
    String mesh,
    Duration meshWarmup,
    Targets targets,
    ScenarioResult ceiling,
    List<ScenarioResult> scenarios,
    List<Skipped> skipped,
    Path out) {

  record Skipped(String scenario, String reason) {}

  RunResult {
    arguments = List.copyOf(arguments);
    scenarios = List.copyOf(scenarios);
    skipped = List.copyOf(skipped);
  }

  /** {@code value / ceilingValue}, or NaN when either is missing. */
  static double ratio(double value, double ceilingValue) {
    return Double.isNaN(value) || Double.isNaN(ceilingValue) || ceilingValue == 0 ? Double.NaN : value / ceilingValue;
  }
}
