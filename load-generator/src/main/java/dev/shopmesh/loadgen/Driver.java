package dev.shopmesh.loadgen;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Offers load to one operation from {@code start} until {@code end} (both {@link System#nanoTime}). */
interface Driver {

  /** Runs until {@code end}, then waits (up to {@code drain}) for the requests still out. */
  void run(Operation op, Measurement m, long start, long end, Duration drain) throws InterruptedException;

  static Driver of(Load load) {
    return switch (load) {
      case Load.Closed c -> new ClosedLoop(c.concurrency());
      case Load.Open o -> new OpenLoop(o.rate(), o.maxInFlight());
    };
  }

  /**
   * N callers, each an asynchronous chain: a request's answer sends the caller's next request,
   * right where the answer arrived (on the client's event loop, for gRPC and REST alike). No
   * thread waits and no thread is woken per request. On this project's 2-core VMs, where waking
   * a thread costs tens of microseconds, that made the generator cheaper per request than one
   * virtual thread per caller blocking on each answer (A/B in docs/PERFORMANCE.md).
   */
  record ClosedLoop(int concurrency) implements Driver {
    @Override
    public void run(Operation op, Measurement m, long start, long end, Duration drain) throws InterruptedException {
      CountDownLatch finished = new CountDownLatch(concurrency);
      for (int i = 0; i < concurrency; i++) {
        new Caller(op, m, end, finished).next();
      }
      // Every call ends by its deadline, so the callers end soon after `end`.
      finished.await(Math.max(0, end - System.nanoTime()) + drain.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** One caller: sends, and on the answer records it and sends again, until {@code end}. */
    private record Caller(Operation op, Measurement m, long end, CountDownLatch finished) {
      void next() {
        while (true) {
          long start = System.nanoTime();
          if (start - end >= 0) {
            finished.countDown();
            return;
          }
          m.sent(start);
          CompletableFuture<String> answer;
          try {
            answer = op.send();
          } catch (RuntimeException e) {
            answer = CompletableFuture.completedFuture(Outcomes.of(e));
          }
          if (!answer.isDone()) {
            answer.whenComplete(
                (status, e) -> {
                  m.done(start, System.nanoTime(), e == null ? status : Outcomes.of(e));
                  next();
                });
            return;
          }
          // Answered at once (a failure to send, mostly): loop instead of recursing.
          String status;
          try {
            status = answer.join();
          } catch (RuntimeException e) {
            status = Outcomes.of(e);
          }
          m.done(start, System.nanoTime(), status);
        }
      }
    }
  }

  /**
   * Requests due at a fixed rate, sent by one platform thread. Each one's latency counts from when
   * it was due: a late send, or a wait for one of the {@code maxInFlight} slots, is charged to
   * the request that waited (no coordinated omission). Late requests go out at once, back to
   * back, until the schedule is met again.
   */
  record OpenLoop(double rate, int maxInFlight) implements Driver {
    @Override
    public void run(Operation op, Measurement m, long start, long end, Duration drain) throws InterruptedException {
      Semaphore slots = new Semaphore(maxInFlight);
      double interval = 1e9 / rate;
      for (long i = 0; ; i++) {
        long due = start + (long) (i * interval);
        if (due - end >= 0) {
          break;
        }
        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
          LockSupport.parkNanos(wait);
        }
        slots.acquire();
        m.sent(due);
        CompletableFuture<String> answer;
        try {
          answer = op.send();
        } catch (RuntimeException e) {
          answer = CompletableFuture.completedFuture(Outcomes.of(e));
        }
        answer.whenComplete(
            (status, e) -> {
              m.done(due, System.nanoTime(), e == null ? status : Outcomes.of(e));
              slots.release();
            });
      }
      if (slots.tryAcquire(maxInFlight, drain.toNanos(), TimeUnit.NANOSECONDS)) {
        slots.release(maxInFlight);
      }
    }
  }
}
