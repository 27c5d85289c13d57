package dev.shopmesh.platform.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import dev.shopmesh.platform.telemetry.Telemetry;
import dev.shopmesh.platform.paging.PageToken;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's PostgreSQL database: a HikariCP pool, migrated by Flyway at start-up, traced by
 * the OTel JDBC instrumentation, and used through one {@link Jdbi}. Every session runs under
 * {@link DatabaseSettings.Timeouts}; a statement made for a gRPC call also ends with the call's
 * deadline ({@link CallDeadlines}).
 */
public final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private final HikariDataSource pool;
  private final Jdbi jdbi;
  private final PageToken pageTokens;

  private Database(HikariDataSource pool, Jdbi jdbi, PageToken pageTokens) {
    this.pool = pool;
    this.jdbi = jdbi;
    this.pageTokens = pageTokens;
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
    config.addDataSourceProperty("options", settings.timeouts().options());
    HikariDataSource pool = new HikariDataSource(config);
    PageToken pageTokens;
    try {
      var result = flyway(settings).locations("classpath:db/migration/" + name).load().migrate();
      log.info(
          "database {} at schema version {} ({} migrations applied)",
          settings.jdbcUrl(),
          result.targetSchemaVersion == null ? result.initialSchemaVersion : result.targetSchemaVersion,
          result.migrationsExecuted);
      // The platform's own tables, under a history of their own: baselined at 0 on a database
      // that the service's migrations have already filled.
      flyway(settings)
          .locations("classpath:db/platform")
          .table("platform_schema_history")
          .baselineOnMigrate(true)
          .baselineVersion("0")
          .load()
          .migrate();
      pageTokens = PageToken.forKey(pageTokenKey(pool));
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    observe(pool, name, telemetry);
    Jdbi jdbi =
        Jdbi.create(telemetry.wrap(pool))
            .installPlugin(new PostgresPlugin())
            .addCustomizer(new CallDeadlines());
    return new Database(pool, jdbi, pageTokens);
  }

  /**
   * Flyway on connections of its own, outside the pool and without its timeouts: a migration
   * may rightly run longer than any request, and a replica waits on the migration lock of
   * another for as long as that one migrates. (A {@code SET} on pooled sessions would stay on
   * them after Flyway is done.)
   *
   * <p>{@code outOfOrder}: migration numbers are handed out to parallel lines of work in
   * ranges (order-svc: V2-V4, V5-V7, V8-V9), which land in any order; a V2 that lands after a
   * database already went to V5 is applied then rather than failing validation.
   */
  private static FluentConfiguration flyway(DatabaseSettings settings) {
    return Flyway.configure()
        .dataSource(settings.jdbcUrl(), settings.user(), settings.password())
        .connectRetries(0)
        .outOfOrder(true)
        .failOnMissingLocations(true);
  }

  /** The database's page-token key, made on the first start by whichever replica gets there first. */
  private static byte[] pageTokenKey(HikariDataSource pool) {
    try (Connection c = pool.getConnection()) {
      try (PreparedStatement insert =
          c.prepareStatement("INSERT INTO page_token_key (id, key) VALUES (1, ?) ON CONFLICT (id) DO NOTHING")) {
        insert.setBytes(1, PageToken.newKey());
        insert.executeUpdate();
      }
      try (PreparedStatement select = c.prepareStatement("SELECT key FROM page_token_key WHERE id = 1");
          ResultSet rs = select.executeQuery()) {
        rs.next();
        return rs.getBytes(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the page-token key: " + e.getMessage(), e);
    }
  }

  /** The service's page tokens, under its database's key. */
  public PageToken pageTokens() {
    return pageTokens;
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
