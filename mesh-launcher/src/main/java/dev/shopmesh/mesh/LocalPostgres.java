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
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The embedded PostgreSQL of {@code ./mesh up}: a real server from zonky's binaries, its data
 * kept in a folder so that a restart keeps it, with one database and one role per service.
 */
final class LocalPostgres implements AutoCloseable {
  private final EmbeddedPostgres server;
  private final Path dataDir;

  private LocalPostgres(EmbeddedPostgres server, Path dataDir) {
    this.server = server;
    this.dataDir = dataDir;
  }

  static LocalPostgres start(Path dataDir, int port) throws IOException {
    Files.createDirectories(dataDir);
    stopLeftover(dataDir);
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
    return new LocalPostgres(server, dataDir);
  }

  /**
   * A mesh that was killed (not stopped) can leave its postmaster running on the data folder;
   * stop it so that this start owns the folder (and {@code --fresh} can delete it). The pid in
   * {@code postmaster.pid} is signalled only when it is a PostgreSQL of this very data folder,
   * started when the file says: after a reboot the pid can belong to anything, and such a stale
   * file is removed instead (PostgreSQL would otherwise refuse to start while that pid lives).
   */
  static void stopLeftover(Path dataDir) throws IOException {
    Path pidFile = dataDir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    List<String> lines = Files.readAllLines(pidFile);
    long pid;
    try {
      pid = Long.parseLong(lines.getFirst().trim());
    } catch (RuntimeException e) {
      Mesh.say("removing an unreadable " + pidFile);
      Files.deleteIfExists(pidFile);
      return;
    }
    Optional<ProcessHandle> alive = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    if (alive.isEmpty()) {
      return; // PostgreSQL itself takes over a stale file whose process is gone
    }
    Optional<String> notOurs = notOurPostmaster(alive.get(), dataDir, lines);
    if (notOurs.isPresent()) {
      Mesh.say(
          pidFile + " names pid " + pid + ", which is not this mesh's PostgreSQL (" + notOurs.get()
              + "); leaving that process alone and removing the stale file");
      Files.deleteIfExists(pidFile);
      return;
    }
    Mesh.say("stopping a PostgreSQL left running by an earlier mesh (pid " + pid + ")");
    // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
    ProcessHandle postmaster = alive.get();
    Watchdog.signal("INT", pid);
    try {
      postmaster.onExit().get(30, TimeUnit.SECONDS);
    } catch (Exception notYet) {
      postmaster.destroyForcibly(); // it recovers from its WAL at the next start
      postmaster.onExit().completeOnTimeout(postmaster, 10, TimeUnit.SECONDS).join();
    }
  }

  /**
   * Why {@code process} is not the postmaster {@code postmaster.pid} describes, or empty when it
   * is: its executable is {@code postgres}, its {@code -D} is this folder, and it started when
   * the file's third line says (within a few seconds).
   */
  static Optional<String> notOurPostmaster(ProcessHandle process, Path dataDir, List<String> pidFileLines) {
    ProcessHandle.Info info = process.info();
    Optional<String> command = info.command();
    if (command.isEmpty()) {
      return Optional.of("its command line cannot be read");
    }
    if (!Path.of(command.get()).getFileName().toString().equals("postgres")) {
      return Optional.of("it runs " + command.get());
    }
    String[] args = info.arguments().orElse(new String[0]);
    boolean sameDir = false;
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("-D") && samePath(Path.of(args[i + 1]), dataDir)) {
        sameDir = true;
      }
    }
    if (!sameDir) {
      return Optional.of("it serves another data folder: " + String.join(" ", args));
    }
    try {
      Instant fileStart = Instant.ofEpochSecond(Long.parseLong(pidFileLines.get(2).trim()));
      Optional<Instant> started = info.startInstant();
      if (started.isPresent() && Duration.between(started.get(), fileStart).abs().compareTo(Duration.ofSeconds(10)) > 0) {
        return Optional.of("it started at " + started.get() + ", the file's server at " + fileStart);
      }
    } catch (RuntimeException unreadable) {
      return Optional.of("the file has no start time");
    }
    return Optional.empty();
  }

  private static boolean samePath(Path a, Path b) {
    try {
      return a.toRealPath().equals(b.toRealPath());
    } catch (IOException e) {
      return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }
  }

  /** The postmaster's pid, from its pid file. */
  Optional<Long> pid() {
    try {
      return Optional.of(Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).getFirst().trim()));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
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
