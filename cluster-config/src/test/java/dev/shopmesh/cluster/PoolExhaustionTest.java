package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.shopmesh.cluster.ServiceModules.Running;
import dev.shopmesh.payment.v1.GetPaymentRequest;
import dev.shopmesh.payment.v1.PaymentServiceGrpc;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.testkit.TestPostgres;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a replica answers when its database pool is exhausted, from the running service: the
 * status Envoy's outlier detection then sees (ComposeFaultsTest checks that none of its enforced
 * detectors counts it, so a busy replica is not ejected).
 */
class PoolExhaustionTest {
  @BeforeAll
  static void initialiseTheDatabasesComposeCreates() throws Exception {
    ComposePostgres.ensureInitialized();
  }

  @Test
  void aReplicaWhosePoolIsExhaustedAnswersUnavailableAndStaysServing() throws Exception {
    Map<String, String> env = new HashMap<>(ComposeServicesTest.local("payment-svc", Compose.environment("payment-svc")));
    env.put("DB_POOL_SIZE", "2"); // Flyway needs two at start-up
    env.put("DB_CONNECTION_TIMEOUT", "300ms");
    Class<?> main = ServiceModules.mainClass(ServiceModules.find("payment-svc").orElseThrow());
    Running service = ServiceModules.start(main, Env.of(env));
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", service.grpcPort()).usePlaintext().build();
    try (Connection admin = TestPostgres.dataSource("payments").getConnection()) {
      var stub = dev.shopmesh.testkit.TestIdentity.as(
          PaymentServiceGrpc.newBlockingStub(channel), dev.shopmesh.testkit.TestIdentity.shared().adminToken());
      GetPaymentRequest request = GetPaymentRequest.newBuilder().setPaymentId(UUID.randomUUID().toString()).build();
      admin.setAutoCommit(false);
      try (Statement s = admin.createStatement()) {
        s.execute("LOCK TABLE payments IN ACCESS EXCLUSIVE MODE");
      }
      // Two calls take the pool's two connections and wait on the lock.
      List<CompletableFuture<Status>> holders = new ArrayList<>();
      var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
      for (int i = 0; i < 2; i++) {
        holders.add(CompletableFuture.supplyAsync(() -> {
          try {
            stub.withDeadlineAfter(30, TimeUnit.SECONDS).getPayment(request);
            return Status.OK;
          } catch (StatusRuntimeException e) {
            return e.getStatus();
          }
        }, threads));
      }
      waitForLockWaiters(2);

      StatusRuntimeException starved = catchThrowableOfType(StatusRuntimeException.class,
          () -> stub.withDeadlineAfter(10, TimeUnit.SECONDS).getPayment(request));
      admin.rollback();

      assertThat(starved).isNotNull();
      assertThat(starved.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      for (var holder : holders) {
        assertThat(holder.get(30, TimeUnit.SECONDS).getCode()).as("a call that held a connection").isEqualTo(Status.Code.NOT_FOUND);
      }
      assertThat(ComposeServicesTest.health(service.grpcPort(), "shopmesh.payment.v1.PaymentService"))
          .as("a busy replica stays SERVING: neither Envoy's health check nor a readiness probe takes it out")
          .isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    } finally {
      channel.shutdownNow();
      service.stop();
    }
  }

  /** Until {@code n} backends of the service wait for the lock the test holds (at most 10 s). */
  private static void waitForLockWaiters(int n) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < until) {
      try (Connection c = TestPostgres.dataSource("payments").getConnection();
          Statement s = c.createStatement();
          var rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'payments'")) {
        rs.next();
        if (rs.getInt(1) >= n) {
          return;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("the service's query never waited for the lock");
  }
}
