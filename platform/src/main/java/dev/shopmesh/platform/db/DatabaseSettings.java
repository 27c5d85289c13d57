package dev.shopmesh.platform.db;

import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * Where the service's PostgreSQL database is and how big its pool is.
 *
 * <p>From {@code DATABASE_URL} ({@code postgres://user:password@host:5432/db} or a
 * {@code jdbc:postgresql://} URL), else from libpq's {@code PGHOST}, {@code PGPORT},
 * {@code PGDATABASE}, {@code PGUSER} and {@code PGPASSWORD}.
 *
 * <p>Every pooled session runs under {@link Timeouts}, so that no statement, lock wait or
 * forgotten transaction can hold a connection (and the rows it locks) for longer.
 */
public record DatabaseSettings(
    String jdbcUrl,
    String user,
    String password,
    int poolSize,
    Duration connectionTimeout,
    Duration startupTimeout,
    Timeouts timeouts) {

  /**
   * PostgreSQL's own limits on each pooled session, set when the connection opens.
   *
   * @param statement {@code DB_STATEMENT_TIMEOUT} (5s): a statement that runs longer is
   *     cancelled (SQLSTATE 57014). Longer than any query a request makes, shorter than the
   *     deadlines callers set (the edges' 10-15 s).
   * @param lock {@code DB_LOCK_TIMEOUT} (2s): a statement that waits longer for a row or table
   *     lock gives up (55P03) rather than queueing behind a stuck transaction.
   * @param idleInTransaction {@code DB_IDLE_IN_TRANSACTION_TIMEOUT} (10s): a session that sits
   *     in an open transaction longer is ended by the server, which releases its locks.
   */
  public record Timeouts(Duration statement, Duration lock, Duration idleInTransaction) {
    static Timeouts from(Env env) {
      return new Timeouts(
          env.duration("DB_STATEMENT_TIMEOUT", Duration.ofSeconds(5)),
          env.duration("DB_LOCK_TIMEOUT", Duration.ofSeconds(2)),
          env.duration("DB_IDLE_IN_TRANSACTION_TIMEOUT", Duration.ofSeconds(10)));
    }

    /** The libpq {@code options} that set them, in milliseconds (0 turns one off). */
    public String options() {
      return "-c statement_timeout=" + statement.toMillis()
          + " -c lock_timeout=" + lock.toMillis()
          + " -c idle_in_transaction_session_timeout=" + idleInTransaction.toMillis();
    }
  }

  public static DatabaseSettings from(Env env) {
    int defaultPool = 2 * Runtime.getRuntime().availableProcessors() + 1;
    int poolSize = env.integer("DB_POOL_SIZE", defaultPool, 1, 1000);
    Duration connectionTimeout = env.duration("DB_CONNECTION_TIMEOUT", Duration.ofSeconds(5));
    Duration startupTimeout = env.duration("DB_STARTUP_TIMEOUT", Duration.ofSeconds(10));
    Timeouts timeouts = Timeouts.from(env);

    Optional<String> url = env.optional("DATABASE_URL");
    if (url.isPresent()) {
      return fromUrl(url.get(), env, poolSize, connectionTimeout, startupTimeout, timeouts);
    }
    if (env.optional("PGHOST").isEmpty()) {
      throw new ConfigException(
          "no database configured: set DATABASE_URL (for example"
              + " postgres://user:password@localhost:5432/users) or PGHOST and PGDATABASE");
    }
    String host = env.required("PGHOST", "the PostgreSQL host");
    int port = env.port("PGPORT", 5432);
    String db = env.required("PGDATABASE", "the database name, since PGHOST is set");
    return new DatabaseSettings(
        "jdbc:postgresql://" + host + ":" + port + "/" + db,
        env.string("PGUSER", System.getProperty("user.name")),
        env.string("PGPASSWORD", ""),
        poolSize,
        connectionTimeout,
        startupTimeout,
        timeouts);
  }

  private static DatabaseSettings fromUrl(
      String url,
      Env env,
      int poolSize,
      Duration connectionTimeout,
      Duration startupTimeout,
      Timeouts timeouts) {
    if (url.startsWith("jdbc:postgresql:")) {
      return new DatabaseSettings(
          url,
          env.string("PGUSER", null),
          env.string("PGPASSWORD", null),
          poolSize,
          connectionTimeout,
          startupTimeout,
          timeouts);
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw invalidUrl();
    }
    if (!("postgres".equals(uri.getScheme()) || "postgresql".equals(uri.getScheme()))
        || uri.getHost() == null
        || uri.getPath() == null
        || uri.getPath().length() < 2) {
      throw invalidUrl();
    }
    String user = null;
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : null;
    }
    int port = uri.getPort() == -1 ? 5432 : uri.getPort();
    String jdbc = "jdbc:postgresql://" + uri.getHost() + ":" + port + uri.getRawPath();
    if (uri.getRawQuery() != null) {
      jdbc += "?" + uri.getRawQuery();
    }
    return new DatabaseSettings(
        jdbc, user, password, poolSize, connectionTimeout, startupTimeout, timeouts);
  }

  private static ConfigException invalidUrl() {
    return new ConfigException(
        "DATABASE_URL must look like postgres://user:password@host:5432/database"
            + " or jdbc:postgresql://host:5432/database");
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "DatabaseSettings[" + jdbcUrl + ", user=" + user + ", pool=" + poolSize + "]";
  }
}
