package dev.shopmesh.platform.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import dev.shopmesh.platform.telemetry.Telemetry;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's PostgreSQL database: a HikariCP pool, migrated by Flyway at start-up, traced by
 * the OTel JDBC instrumentation, and used through one {@link Jdbi}.
 */
public final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private final HikariDataSource pool;
  private final Jdbi jdbi;

  private Database(HikariDataSource pool, Jdbi jdbi) {
    this.pool = pool;
    this.jdbi = jdbi;
  }

  /**
   * Connects, applies the migrations under {@code classpath:db/migration/<name>}, and returns the
   * ready database. Fails if the database cannot be reached within the start-up timeout.
   */
  public static Database start(
      String name, DatabaseSettings settings, Telemetry telemetry) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    config.setJdbcUrl(settings.jdbcUrl());
    if (settings.user() != null) {
      config.setUsername(settings.user());
    }
    if (settings.password() != null) {
      config.setPassword(settings.password());
    }
    config.setMaximumPoolSize(settings.poolSize());
    config.setMinimumIdle(settings.poolSize());
    config.setConnectionTimeout(settings.connectionTimeout().toMillis());
    config.setInitializationFailTimeout(settings.startupTimeout().toMillis());
    config.addDataSourceProperty("ApplicationName", name);
    config.addDataSourceProperty("reWriteBatchedInserts", "true");
    HikariDataSource pool = new HikariDataSource(config);
    try {
      var result =
          Flyway.configure()
              .dataSource(pool)
              .locations("classpath:db/migration/" + name)
              .failOnMissingLocations(true)
              .load()
              .migrate();
      log.info(
          "database {} at schema version {} ({} migrations applied)",
          settings.jdbcUrl(),
          result.targetSchemaVersion == null ? result.initialSchemaVersion : result.targetSchemaVersion,
          result.migrationsExecuted);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    observe(pool, name, telemetry);
    Jdbi jdbi =
        Jdbi.create(telemetry.wrap(pool))
            .installPlugin(new PostgresPlugin());
    return new Database(pool, jdbi);
  }

  /**
   * The pool as OTel semantic-convention metrics (connections used and idle, callers waiting,
   * the maximum), read from HikariCP's own MXBean at each collection. The OTel HikariCP library
   * is not published for the instrumentation version used here; this is its metric set.
   */
  private static void observe(HikariDataSource pool, String name, Telemetry telemetry) {
    Meter meter = telemetry.meter("dev.shopmesh.db");
    Attributes poolName = Attributes.of(AttributeKey.stringKey("db.client.connection.pool.name"), name);
    Attributes used = poolName.toBuilder().put("db.client.connection.state", "used").build();
    Attributes idle = poolName.toBuilder().put("db.client.connection.state", "idle").build();
    meter
        .upDownCounterBuilder("db.client.connection.count")
        .setUnit("{connection}")
        .buildWithCallback(
            m -> {
              HikariPoolMXBean mx = pool.getHikariPoolMXBean();
              if (mx != null) {
                m.record(mx.getActiveConnections(), used);
                m.record(mx.getIdleConnections(), idle);
              }
            });
    meter
        .upDownCounterBuilder("db.client.connection.pending_requests")
        .setUnit("{request}")
        .buildWithCallback(
            m -> {
              HikariPoolMXBean mx = pool.getHikariPoolMXBean();
              if (mx != null) {
                m.record(mx.getThreadsAwaitingConnection(), poolName);
              }
            });
    meter
        .upDownCounterBuilder("db.client.connection.max")
        .setUnit("{connection}")
        .buildWithCallback(m -> m.record(pool.getMaximumPoolSize(), poolName));
  }

  public Jdbi jdbi() {
    return jdbi;
  }

  @Override
  public void close() {
    pool.close();
  }
}
