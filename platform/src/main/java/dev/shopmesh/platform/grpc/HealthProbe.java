package dev.shopmesh.platform.grpc;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A container health check that needs no probe binary: runs from the service's own jar,
 * asks {@code grpc.health.v1.Health/Check} and exits 0 only for SERVING.
 *
 * <pre>java -cp app.jar dev.shopmesh.platform.grpc.HealthProbe [host:]port [service]</pre>
 */
public final class HealthProbe {
  private HealthProbe() {}

  /** Polls {@code host:port} until its overall health is SERVING; false when time runs out. */
  public static boolean awaitServing(String host, int port, Duration timeout)
      throws InterruptedException {
    return awaitServing(host, port, timeout, () -> false);
  }

  /** As {@link #awaitServing(String, int, Duration)}, and false as soon as {@code giveUp} says so. */
  public static boolean awaitServing(String host, int port, Duration timeout, BooleanSupplier giveUp)
      throws InterruptedException {
    ManagedChannel channel = ManagedChannelBuilder.forAddress(host, port).usePlaintext().build();
    try {
      var health = HealthGrpc.newBlockingStub(channel);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline && !giveUp.getAsBoolean()) {
        // A refused connection puts the channel in back-off (a second, then more): without
        // this, the poll would see the server up to a second late.
        channel.resetConnectBackoff();
        try {
          if (health
                  .withDeadlineAfter(1, TimeUnit.SECONDS)
                  .check(HealthCheckRequest.getDefaultInstance())
                  .getStatus()
              == ServingStatus.SERVING) {
            return true;
          }
        } catch (RuntimeException notYet) {
          // not listening yet
        }
        Thread.sleep(100);
      }
      return false;
    } finally {
      channel.shutdownNow();
    }
  }

  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: HealthProbe [host:]port [service]");
      System.exit(2);
    }
    String target = args[0].contains(":") ? args[0] : "localhost:" + args[0];
    String service = args.length > 1 ? args[1] : "";
    ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext().build();
    int exit;
    try {
      ServingStatus status =
          HealthGrpc.newBlockingStub(channel)
              .withDeadlineAfter(3, TimeUnit.SECONDS)
              .check(HealthCheckRequest.newBuilder().setService(service).build())
              .getStatus();
      System.out.println(target + " " + status);
      exit = status == ServingStatus.SERVING ? 0 : 1;
    } catch (RuntimeException e) {
      System.out.println(target + " unreachable: " + e.getMessage());
      exit = 1;
    } finally {
      channel.shutdownNow();
    }
    System.exit(exit);
  }
}
