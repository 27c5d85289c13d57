package dev.shopmesh.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.db.Database;
import dev.shopmesh.platform.db.DatabaseSettings;
import dev.shopmesh.platform.db.PgErrors;
import dev.shopmesh.platform.telemetry.Telemetry;
import dev.shopmesh.testkit.TestEnv;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every pooled session runs under statement, lock and idle-in-transaction timeouts (platform's
 * Database, as every service opens it): a slow statement, a lock held elsewhere, or a forgotten
 * transaction cannot hold a connection for longer.
 */
class DatabaseTimeoutsTest {
  private static Database db;

  @BeforeAll
  static void start() {
    Env env =
        TestEnv.service(
            "timeouts",
            Map.of(
                "DB_STATEMENT_TIMEOUT", "1s",
                "DB_LOCK_TIMEOUT", "300ms",
                "DB_IDLE_IN_TRANSACTION_TIMEOUT", "1s"));
    db = Database.start("user", DatabaseSettings.from(env), Telemetry.noop());
  }

  @AfterAll
  static void stop() {
    db.close();
  }

  private static String show(String setting) {
    return db.jdbi().withHandle(h -> h.createQuery("SHOW " + setting).mapTo(String.class).one());
  }

  @Test
  void everyPooledSessionHasTheConfiguredTimeouts() {
    assertThat(show("statement_timeout")).isEqualTo("1s");
    assertThat(show("lock_timeout")).isEqualTo("300ms");
    assertThat(show("idle_in_transaction_session_timeout")).isEqualTo("1s");
  }

  @Test
  void aStatementThatRunsTooLongIsCancelled() {
    Throwable e = catchThrowable(() -> db.jdbi().useHandle(h -> h.execute("SELECT pg_sleep(5)")));
    assertThat(PgErrors.timedOut(e)).hasValueSatisfying(m -> assertThat(m).startsWith("statement timeout"));
  }

  @Test
  void aStatementThatWaitsTooLongForALockGivesUp() {
    try (Handle holder = db.jdbi().open()) {
      holder.begin();
      holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
      Throwable e = catchThrowable(() -> db.jdbi().useHandle(h -> h.execute("SELECT count(*) FROM users")));
      assertThat(PgErrors.timedOut(e)).hasValueSatisfying(m -> assertThat(m).startsWith("lock timeout"));
      holder.rollback();
    }
  }

  @Test
  void aStatementMadeForACallEndsWithTheCallsDeadline() {
    Throwable e =
        catchThrowable(
            () ->
                io.grpc.Context.current()
                    .withDeadlineAfter(500, java.util.concurrent.TimeUnit.MILLISECONDS, SCHEDULER)
                    .run(
                        () ->
                            db.jdbi()
                                .useTransaction(
                                    h -> {
                                      h.execute("SET LOCAL statement_timeout = 0"); // only the deadline is left
                                      h.execute("SELECT pg_sleep(10)");
                                    })));
    assertThat(PgErrors.timedOut(e)).as(String.valueOf(e)).hasValueSatisfying(m -> assertThat(m).contains("user request"));

    Throwable late =
        catchThrowable(
            () ->
                io.grpc.Context.current()
                    .withDeadlineAfter(-1, java.util.concurrent.TimeUnit.MILLISECONDS, SCHEDULER)
                    .run(() -> db.jdbi().useHandle(h -> h.execute("SELECT 1"))));
    assertThat(io.grpc.Status.fromThrowable(late).getCode()).isEqualTo(io.grpc.Status.Code.DEADLINE_EXCEEDED);
  }

  private static final java.util.concurrent.ScheduledExecutorService SCHEDULER =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().unstarted(r));

  @Test
  void aTransactionLeftOpenIsEndedByTheServer() throws Exception {
    try (Handle forgotten = db.jdbi().open()) {
      forgotten.begin();
      forgotten.execute("SELECT 1");
      Thread.sleep(2_000);
      Throwable e = catchThrowable(() -> forgotten.execute("SELECT 1"));
      assertThat(e).isNotNull();
    }
    // The pool replaces the ended session; the next caller is served.
    int one = db.jdbi().withHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one());
    assertThat(one).isEqualTo(1);
  }
}
