package dev.shopmesh.loadgen;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.HistogramLogWriter;

/**
 * One line per second while a scenario runs: elapsed time, rate, errors, p50 and p99 so far.
 * Each measured second also goes to an HdrHistogram interval log ({@code <scenario>.hlog}),
 * which HdrHistogram's HistogramLogProcessor and HistogramLogAnalyzer read.
 */
final class Progress implements AutoCloseable {
  private final String name;
  private final Measurement measurement;
  private final PrintStream out;
  private final long startNanos;
  private final OutputStream logFile; // null: no interval log
  private final HistogramLogWriter log;
  private final ScheduledExecutorService timer;

  private Progress(String name, Measurement measurement, PrintStream out, long startNanos, Path hlog) throws IOException {
    this.name = name;
    this.measurement = measurement;
    this.out = out;
    this.startNanos = startNanos;
    if (hlog == null) {
      this.logFile = null;
      this.log = null;
    } else {
      this.logFile = Files.newOutputStream(hlog);
      this.log = new HistogramLogWriter(new PrintStream(logFile, false, java.nio.charset.StandardCharsets.UTF_8));
      log.outputLogFormatVersion();
      log.outputComment("shopmesh load-generator, scenario " + name + ", latency in nanoseconds (max column in ms)");
      log.outputStartTime(System.currentTimeMillis());
      log.setBaseTime(System.currentTimeMillis());
      log.outputLegend();
    }
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("bench-progress").unstarted(r));
  }

  /** Prints once a second from now on; writes the interval log to {@code hlog} unless it is null. */
  static Progress start(String name, Measurement measurement, PrintStream out, long startNanos, Path hlog)
      throws IOException {
    Progress progress = new Progress(name, measurement, out, startNanos, hlog);
    progress.timer.scheduleAtFixedRate(progress::tick, 1, 1, TimeUnit.SECONDS);
    return progress;
  }

  private void tick() {
    long now = System.nanoTime();
    Measurement.Tick t = measurement.tick(now);
    out.println(
        String.format(
            Locale.ROOT,
            "  %-18s %4ds  %-8s rate %,9.0f/s  errors %-6d p50 %s  p99 %s",
            name,
            Math.round((now - startNanos) / 1e9),
            t.warmingUp() ? "warm-up" : "measured",
            t.rate(),
            t.errors(),
            Report.ms(t.p50Ms()),
            Report.ms(t.p99Ms())));
    if (log != null && t.interval() != null && t.interval().getTotalCount() > 0) {
      log.outputIntervalHistogram(t.interval());
    }
  }

  @Override
  public void close() throws IOException {
    timer.shutdownNow();
    try {
      timer.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (logFile != null) {
      logFile.close();
    }
  }
}
