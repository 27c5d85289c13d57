package dev.shopmesh.loadgen;

import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * One scenario's figures, warm-up excluded.
 *
 * @param name the scenario ({@code ceiling} for the echo baseline)
 * @param description what it does
 * @param load the load label, such as {@code c=16}
 * @param seconds the measured window
 * @param sent requests that started in the window
 * @param ok those that succeeded
 * @param errors those that failed, by status
 * @param unsuccessful those answered without success (an order not CONFIRMED), by outcome
 * @param latency the latency of every successful request, in nanoseconds
 * @param failedLatency the latency of every other measured request (errors and unsuccessful)
 * @param cpu where the machine's CPU went during the measured window
 */
record ScenarioResult(
    String name,
    String description,
    String load,
    double seconds,
    long sent,
    long ok,
    Map<String, Long> errors,
    Map<String, Long> unsuccessful,
    Histogram latency,
    Histogram failedLatency,
    CpuMeter.Usage cpu,
    Map<String, Double> cpuPerRequestMicros) {

  ScenarioResult {
    errors = Map.copyOf(errors);
    unsuccessful = Map.copyOf(unsuccessful);
    cpuPerRequestMicros = Map.copyOf(cpuPerRequestMicros);
  }

  long errorCount() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  long unsuccessfulCount() {
    return unsuccessful.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Requests that had not answered when the run stopped waiting (normally 0). */
  long unanswered() {
    return sent - ok - errorCount() - unsuccessfulCount();
  }

  /** Successful requests per second. */
  double throughput() {
    return ok / seconds;
  }

  /** Requests offered per second: the ones due (open loop) or sent (closed loop) in the window. */
  double offered() {
    return sent / seconds;
  }

  double failedPercentileMs(double percentile) {
    return failedLatency.getTotalCount() == 0 ? Double.NaN : failedLatency.getValueAtPercentile(percentile) / 1e6;
  }

  double percentileMs(double percentile) {
    return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(percentile) / 1e6;
  }

  double maxMs() {
    return latency.getTotalCount() == 0 ? Double.NaN : latency.getMaxValue() / 1e6;
  }

  double meanMs() {
    return latency.getTotalCount() == 0 ? Double.NaN : latency.getMean() / 1e6;
  }
}
