package dev.shopmesh.loadgen;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What one scenario's requests did. Callers on any thread report each request's start and end;
 * a request counts when it <em>started</em> (or, open loop, was due) after the warm-up. Latency
 * of successful requests goes into an HdrHistogram {@link Recorder} (nanoseconds, 3 significant
 * digits), which the progress line drains once a second without stopping the callers. Requests
 * that did not succeed keep their latency too, in a histogram of their own (a timeout of 10 s and
 * a refusal in 1 ms are both failures, and both are worth seeing); answered requests that are not
 * a success (an order left PENDING_PAYMENT or PAYMENT_DECLINED) are counted apart from errors.
 */
final class Measurement {
  private final long measureFrom;
  private final Recorder warmLatency = new Recorder(3);
  private final Recorder latency = new Recorder(3);
  private final LongAdder sent = new LongAdder();
  private final LongAdder ok = new LongAdder();
  private final LongAdder finished = new LongAdder();
  private final LongAdder warmErrors = new LongAdder();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> unsuccessful = new ConcurrentHashMap<>();
  private final Recorder failedLatency = new Recorder(3);
  private final Histogram total = new Histogram(3);
  private long lastTickNanos;
  private long lastFinished;

  /** Requests that start at or after {@code measureFrom} (a {@link System#nanoTime}) count. */
  Measurement(long startNanos, long measureFrom) {
    this.measureFrom = measureFrom;
    this.lastTickNanos = startNanos;
  }

  boolean counts(long startNanos) {
    return startNanos - measureFrom >= 0;
  }

  void sent(long startNanos) {
    if (counts(startNanos)) {
      sent.increment();
    }
  }

  void done(long startNanos, long endNanos, String status) {
    finished.increment();
    long nanos = Math.max(1, endNanos - startNanos);
    boolean counted = counts(startNanos);
    if (Operation.OK.equals(status)) {
      if (counted) {
        ok.increment();
        latency.recordValue(nanos);
      } else {
        warmLatency.recordValue(nanos);
      }
    } else if (counted) {
      (Operation.unsuccessful(status) ? unsuccessful : errors)
          .computeIfAbsent(status, k -> new LongAdder())
          .increment();
      failedLatency.recordValue(nanos);
    } else {
      warmErrors.increment();
    }
  }

  /**
   * The second just past: its rate, and the percentiles so far (of the warm-up second alone while
   * warming up). {@code interval} is the measured second's histogram, for the interval log.
   */
  record Tick(boolean warmingUp, double rate, long errors, double p50Ms, double p99Ms, Histogram interval) {}

  synchronized Tick tick(long nowNanos) {
    long finishedNow = finished.sum();
    double seconds = Math.max(1e-9, (nowNanos - lastTickNanos) / 1e9);
    double rate = (finishedNow - lastFinished) / seconds;
    lastTickNanos = nowNanos;
    lastFinished = finishedNow;
    if (!counts(nowNanos)) {
      Histogram second = warmLatency.getIntervalHistogram();
      return new Tick(true, rate, warmErrors.sum(), ms(second, 50), ms(second, 99), null);
    }
    Histogram second = latency.getIntervalHistogram();
    total.add(second);
    return new Tick(false, rate, errorCount(), ms(total, 50), ms(total, 99), second);
  }

  /** Every measured latency so far, the last partial second included. */
  synchronized Histogram latency() {
    total.add(latency.getIntervalHistogram());
    return total.copy();
  }

  /** The latency of every measured request that did not succeed. */
  Histogram failedLatency() {
    return failedLatency.getIntervalHistogram();
  }

  Map<String, Long> unsuccessful() {
    Map<String, Long> sorted = new TreeMap<>();
    unsuccessful.forEach((status, n) -> sorted.put(status, n.sum()));
    return sorted;
  }

  long sent() {
    return sent.sum();
  }

  long ok() {
    return ok.sum();
  }

  long errorCount() {
    return errors.values().stream().mapToLong(LongAdder::sum).sum();
  }

  Map<String, Long> errors() {
    Map<String, Long> sorted = new TreeMap<>();
    errors.forEach((status, n) -> sorted.put(status, n.sum()));
    return sorted;
  }

  private static double ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1e6;
  }
}
