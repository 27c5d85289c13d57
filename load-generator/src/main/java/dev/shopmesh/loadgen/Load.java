package dev.shopmesh.loadgen;

/** How requests are offered: a fixed number of callers, or a fixed rate. */
sealed interface Load {

  /** A short label for tables, such as {@code c=16} or {@code 500/s}. */
  String label();

  /**
   * Closed loop: {@code concurrency} callers, each sending its next request as soon as the last
   * one answers. Throughput is what the system gives; latency is per call (service time), so it
   * hides queueing that a slow system imposes on callers (coordinated omission).
   */
  record Closed(int concurrency) implements Load {
    @Override
    public String label() {
      return "c=" + concurrency;
    }
  }

  /**
   * Open loop: requests are due at a fixed {@code rate}, whatever the answers do, and each one's
   * latency counts from when it was due, not from when it left. A sender that falls behind (or
   * waits for one of the {@code maxInFlight} slots) does not hide that delay: it is charged to
   * the requests that waited, as wrk2 and HdrHistogram's own tools do.
   */
  record Open(double rate, int maxInFlight) implements Load {
    @Override
    public String label() {
      return (rate == Math.rint(rate) ? Long.toString((long) rate) : Double.toString(rate)) + "/s";
    }
  }
}
