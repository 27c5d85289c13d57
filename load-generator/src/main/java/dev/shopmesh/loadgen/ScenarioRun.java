package dev.shopmesh.loadgen;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/** Runs one operation under the run's load: warm-up, measured window, drain; prints progress. */
final class ScenarioRun {
  private final Load load;
  private final Duration warmup;
  private final Duration duration;
  private final Duration timeout;
  private final Path out;
  private final PrintStream console;
  private final CpuMeter cpu;

  ScenarioRun(
      Load load, Duration warmup, Duration duration, Duration timeout, Path out, PrintStream console, CpuMeter cpu) {
    this.cpu = cpu;
    this.load = load;
    this.warmup = warmup;
    this.duration = duration;
    this.timeout = timeout;
    this.out = out;
    this.console = console;
  }

  /**
   * Offers the load to {@code op} for {@code time} and keeps nothing: for warming up a mesh that
   * was just started (its JIT, pools and connections) before the first measured scenario.
   */
  void warmUp(String description, Operation op, Duration time) throws IOException, InterruptedException {
    console.printf("%nmesh warm-up: %s, %s, %ds, not measured%n", description, load.label(), time.toSeconds());
    long start = System.nanoTime();
    long end = start + time.toNanos();
    Measurement m = new Measurement(start, end + Duration.ofDays(1).toNanos()); // nothing counts
    Progress progress = Progress.start("mesh warm-up", m, console, start, null);
    try {
      Driver.of(load).run(op, m, start, end, timeout.plusSeconds(5));
    } finally {
      progress.close();
    }
  }

  ScenarioResult run(String name, String description, Operation op) throws IOException, InterruptedException {
    console.printf("%n%s: %s, %s, warm-up %ds, measured %ds%n", name, description, load.label(), warmup.toSeconds(), duration.toSeconds());
    long start = System.nanoTime();
    long measureFrom = start + warmup.toNanos();
    long end = measureFrom + duration.toNanos();
    Measurement m = new Measurement(start, measureFrom);
    AtomicReference<CpuMeter.Sample> atMeasureStart = new AtomicReference<>();
    Thread sampler =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    Thread.sleep(Duration.ofNanos(Math.max(0, measureFrom - System.nanoTime())));
                    atMeasureStart.set(cpu.sample());
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    Progress progress = Progress.start(name, m, console, start, out.resolve(name + ".hlog"));
    try {
      Driver.of(load).run(op, m, start, end, timeout.plusSeconds(5));
    } finally {
      progress.close();
    }
    CpuMeter.Sample atEnd = cpu.sample();
    sampler.join();
    return new ScenarioResult(
        name,
        description,
        load.label(),
        duration.toNanos() / 1e9,
        m.sent(),
        m.ok(),
        m.errors(),
        m.unsuccessful(),
        m.latency(),
        m.failedLatency(),
        CpuMeter.between(atMeasureStart.get(), atEnd),
        cpu.perRequestMicros(atMeasureStart.get(), atEnd, m.ok()));
  }
}
