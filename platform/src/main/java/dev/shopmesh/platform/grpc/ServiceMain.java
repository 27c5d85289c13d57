package dev.shopmesh.platform.grpc;

import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.logging.Logging;
import java.lang.management.ManagementFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a service (or the edge) from its {@code main}: wires it from the environment, says where it listens,
 * stops it gracefully on SIGTERM or SIGINT, and exits non-zero with a one-line reason when it
 * cannot start.
 */
public final class ServiceMain {
  private static final Logger log = LoggerFactory.getLogger(ServiceMain.class);

  /** What a process runs until it is told to stop: a {@link GrpcServer}, or the edge. */
  public interface Running {
    /** Where it listens, for the start-up log line ("gRPC on port 50051"). */
    String listening();

    /** Drains and stops; every caller returns once it has stopped. */
    void stop();

    void awaitStopped() throws InterruptedException;
  }

  /** A process's production wiring. */
  @FunctionalInterface
  public interface Wiring {
    Running start(Env env) throws Exception;
  }

  private ServiceMain() {}

  public static void run(String name, Wiring wiring) {
    Logging.install();
    Running server;
    try {
      server = wiring.start(Env.system());
    } catch (ConfigException e) {
      System.err.println(name + ": cannot start: " + e.getMessage());
      System.exit(2);
      return;
    } catch (Exception e) {
      log.debug("{} failed to start", name, e); // LOG_LEVEL=DEBUG shows the stack trace
      System.err.println(name + ": cannot start: " + rootCause(e));
      System.exit(1);
      return;
    }
    log.info("{} serving {}{}", name, server.listening(), sinceStart());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // The logging system may already be shutting down here: use stderr.
                  System.err.println(name + ": shutting down, draining in-flight calls");
                  server.stop();
                  System.err.println(name + ": stopped");
                },
                name + "-shutdown"));
    try {
      server.awaitStopped();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** " (1.24 s after the JVM started)": the JVM's own start time, to the millisecond. */
  private static String sinceStart() {
    long millis = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
    return String.format(" (%.2f s after the JVM started)", millis / 1000.0);
  }

  private static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
  }
}
