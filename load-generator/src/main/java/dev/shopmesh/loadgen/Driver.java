package dev.shopmesh.loadgen;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
   * N callers, each a virtual thread that sends, waits for the answer and sends again. A
   * blocked virtual thread costs no platform thread, so N can be large on two cores.
   */
  record ClosedLoop(int concurrency) implements Driver {
    @Override
    public void run(Operation op, Measurement m, long start, long end, Duration drain) throws InterruptedException {
      List<Thread> callers = new ArrayList<>(concurrency);
      for (int i = 0; i < concurrency; i++) {
        callers.add(Thread.ofVirtual().name("caller-" + i).start(() -> loop(op, m, end)));
      }
      for (Thread caller : callers) {
        caller.join(); // each call ends by its deadline, so this ends too
      }
    }

    private static void loop(Operation op, Measurement m, long end) {
      while (true) {
        long start = System.nanoTime();
        if (start - end >= 0) {
          return;
        }
        m.sent(start);
        String status;
        try {
          status = op.send().join();
        } catch (RuntimeException e) {
          status = Outcomes.of(e);
        }
        m.done(start, System.nanoTime(), status);
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
