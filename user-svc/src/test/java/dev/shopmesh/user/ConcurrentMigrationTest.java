package dev.shopmesh.user;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Replicas that start at once (a Kubernetes rollout, an autoscaler adding pods) each run Flyway
 * on the same database. Flyway takes a PostgreSQL advisory lock around its migration, so one
 * migrates and the others wait and then find nothing left to do: no init container needed.
 */
class ConcurrentMigrationTest {
  @Test
  void replicasStartingTogetherOnAFreshDatabaseMigrateItOnceAndAllServe() throws Exception {
    Map<String, String> vars = TestEnv.serviceVars("migrate_together", Map.of("DB_POOL_SIZE", "2"));
    int replicas = 4;
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService threads = Executors.newFixedThreadPool(replicas);
    List<Future<GrpcServer>> starts = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      starts.add(threads.submit(() -> {
        go.await();
        return Main.start(Env.of(vars));
      }));
    }
    go.countDown();
    List<GrpcServer> servers = new ArrayList<>();
    try {
      for (Future<GrpcServer> start : starts) {
        servers.add(start.get(60, TimeUnit.SECONDS));
      }

      assertThat(servers).hasSize(replicas).allSatisfy(s -> assertThat(s.port()).isPositive());
      try (Connection c = TestPostgres.dataSource(TestEnv.databaseName(vars)).getConnection();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(
              "SELECT version, count(*) FROM flyway_schema_history WHERE success GROUP BY version HAVING count(*) > 1")) {
        assertThat(rs.next()).as("a migration applied twice").isFalse();
      }
      try (Connection c = TestPostgres.dataSource(TestEnv.databaseName(vars)).getConnection();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*) FROM users WHERE 'admin' = ANY(roles)")) {
        rs.next();
        assertThat(rs.getInt(1)).as("every replica bootstraps the admin; there is one").isEqualTo(1);
      }
    } finally {
      servers.forEach(GrpcServer::stop);
      threads.shutdownNow();
    }
  }
}
