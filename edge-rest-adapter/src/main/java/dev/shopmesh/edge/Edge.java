package dev.shopmesh.edge;

import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.platform.grpc.ServiceMain;
import dev.shopmesh.platform.telemetry.Telemetry;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running edge: the REST listener, the gRPC listener and the backend channels they share.
 *
 * <p><b>Shutdown</b> (SIGTERM): {@code /healthz} and gRPC health turn NOT_SERVING; after
 * {@code SHUTDOWN_NOTICE} both listeners stop taking connections; calls in flight get
 * {@code SHUTDOWN_DRAIN} to finish (REST responses then carry {@code connection: close});
 * then the connections, the backend channels and telemetry close, in that order.
 */
public final class Edge implements ServiceMain.Running {
  private static final Logger log = LoggerFactory.getLogger(Edge.class);

  private final RestServer rest;
  private final GrpcServer grpc;
  private final Backends backends;
  private final Telemetry telemetry;
  private final EdgeSettings settings;
  private final AtomicBoolean serving;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);

  Edge(
      RestServer rest,
      GrpcServer grpc,
      Backends backends,
      Telemetry telemetry,
      EdgeSettings settings,
      AtomicBoolean serving) {
    this.rest = rest;
    this.grpc = grpc;
    this.backends = backends;
    this.telemetry = telemetry;
    this.settings = settings;
    this.serving = serving;
  }

  /** The REST port (useful when it was started on port 0). */
  public int httpPort() {
    return rest.port();
  }

  /** The gRPC port. */
  public int grpcPort() {
    return grpc.port();
  }

  /** Bytes the REST connections have queued for their clients and not yet written (for tests). */
  long restBufferedBytes() {
    return rest.bufferedBytes();
  }

  /** Open REST connections (for tests). */
  int restConnections() {
    return rest.connectionCount();
  }

  /** REST requests in flight (for tests). */
  int restInFlight() {
    return rest.inFlight().get();
  }

  @Override
  public String listening() {
    return "REST on port " + httpPort() + " and gRPC on port " + grpcPort();
  }

  /** Waits until {@link #stop()} has finished. */
  @Override
  public void awaitStopped() throws InterruptedException {
    stopped.await();
  }

  /** Drains and stops; safe to call more than once, every caller returns once stopped. */
  @Override
  public void stop() {
    if (!stopping.compareAndSet(false, true)) {
      try {
        stopped.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    try {
      serving.set(false);
      // gRPC: NOT_SERVING, notice, stop taking calls, drain (GrpcServer's one shutdown path).
      Thread grpcStop = Thread.ofVirtual().name("edge-grpc-stop").start(grpc::stop);
      sleep(settings.grpc().shutdownNotice());
      rest.stopAccepting();
      if (!rest.awaitDrained(settings.grpc().shutdownDrain())) {
        log.warn("edge: REST requests still running after {}, closing their connections", settings.grpc().shutdownDrain());
      }
      grpcStop.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      rest.close();
      backends.close();
      telemetry.close();
      stopped.countDown();
    }
  }

  private static void sleep(Duration d) throws InterruptedException {
    if (!d.isZero()) {
      Thread.sleep(d);
    }
  }
}
