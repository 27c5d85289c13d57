package dev.shopmesh.mesh;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The embedded PostgreSQL of {@code ./mesh up}: a real server from zonky's binaries, its data
 * kept in a folder so that a restart keeps it, with one database and one role per service.
 */
final class LocalPostgres implements AutoCloseable {
  private final EmbeddedPostgres server;

  private LocalPostgres(EmbeddedPostgres server) {
    this.server = server;
  }

  static LocalPostgres start(Path dataDir, int port) throws IOException {
    Files.createDirectories(dataDir);
    stopLeftoverServer(dataDir);
    Path log = dataDir.resolveSibling("postgres.log");
    EmbeddedPostgres server =
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDir)
            .setCleanDataDirectory(false)
            .setPort(port)
            // zonky's builder turns synchronous_commit off; a mesh that tells a client its order
            // is confirmed must have committed it, as PostgreSQL in compose does by default.
            .setServerConfig("synchronous_commit", "on")
            .setPGStartupWait(Duration.ofSeconds(30))
            .setOutputRedirector(Redirect.appendTo(log.toFile()))
            .setErrorRedirector(Redirect.appendTo(log.toFile()))
            .start();
    return new LocalPostgres(server);
  }

  /**
   * A mesh that was killed (not stopped) leaves its postmaster running on the data folder; stop
   * it so that this start owns the folder.
   */
  private static void stopLeftoverServer(Path dataDir) throws IOException {
    Path pidFile = dataDir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().trim());
    } catch (RuntimeException e) {
      return;
    }
    Optional<ProcessHandle> leftover = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    if (leftover.isPresent()) {
      Mesh.say("stopping a PostgreSQL left running by an earlier mesh (pid " + pid + ")");
      // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
      new ProcessBuilder("kill", "-INT", Long.toString(pid)).inheritIO().start();
      ProcessHandle postmaster = leftover.get();
      try {
        postmaster.onExit().get(30, TimeUnit.SECONDS);
      } catch (Exception notYet) {
        postmaster.destroyForcibly(); // it recovers from its WAL at the next start
        postmaster.onExit().completeOnTimeout(postmaster, 10, TimeUnit.SECONDS).join();
      }
    }
  }

  int port() {
    return server.getPort();
  }

  /**
   * Makes sure {@code database} exists, owned by {@code role}, and that no other role may
   * connect to it. Safe to run at every start.
   */
  void ensureDatabase(String database, String role, String password) throws SQLException {
    try (Connection c = server.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      if (!exists(c, "SELECT 1 FROM pg_roles WHERE rolname = ?", role)) {
        s.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'");
      }
      if (!exists(c, "SELECT 1 FROM pg_database WHERE datname = ?", database)) {
        s.execute("CREATE DATABASE " + database + " OWNER " + role);
      }
      s.execute("REVOKE ALL ON DATABASE " + database + " FROM PUBLIC");
    }
  }

  private static boolean exists(Connection c, String sql, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
