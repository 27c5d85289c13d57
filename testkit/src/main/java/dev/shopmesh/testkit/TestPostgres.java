package dev.shopmesh.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * One real PostgreSQL server per test JVM (zonky's embedded binaries, no Docker), with a fresh
 * database for every test class that asks for one. Nothing mocks the database.
 */
public final class TestPostgres {
  private static final AtomicInteger databases = new AtomicInteger();
  private static EmbeddedPostgres server;

  private TestPostgres() {}

  public static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        server =
            EmbeddedPostgres.builder()
                // Durability is not under test here; fsync only slows the suite down.
                .setServerConfig("fsync", "off")
                .setServerConfig("synchronous_commit", "off")
                .setServerConfig("full_page_writes", "off")
                .setServerConfig("max_connections", "300")
                // UTF8 (zonky's -E) with the C locale, as deploy/postgres and the CloudNativePG
                // clusters create every database: nothing may depend on the host's locale.
                .setLocaleConfig("locale", "C")
                .start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
      }
    }
    return server;
  }

  /** Creates an empty database and returns its {@code postgres://} URL. */
  public static String newDatabase(String prefix) {
    String name = prefix + "_" + databases.incrementAndGet();
    execute(server().getPostgresDatabase(), "CREATE DATABASE " + name);
    return url(name);
  }

  /** The {@code postgres://} URL of database {@code name} on the test server. */
  public static String url(String name) {
    return "postgres://postgres@localhost:" + server().getPort() + "/" + name;
  }

  /** A plain (untraced, unpooled) connection source for checking tables directly. */
  public static DataSource dataSource(String database) {
    return server().getDatabase("postgres", database);
  }

  public static void execute(DataSource ds, String sql) {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }
}
