package dev.shopmesh.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A postmaster.pid of before is trusted only as far as the process it names is ours. */
class LeftoverPostgresTest {
  @TempDir Path dataDir;

  /** After a reboot, the pid in a stale postmaster.pid can be anyone's: it must not be signalled. */
  @Test
  void aStalePidFileNamingAnUnrelatedProcessLeavesThatProcessAlone() throws Exception {
    Process unrelated = new ProcessBuilder("sleep", "300").start();
    try {
      Files.writeString(
          dataDir.resolve("postmaster.pid"),
          unrelated.pid() + "\n" + dataDir + "\n" + Instant.now().getEpochSecond() + "\n5432\n/tmp\nlocalhost\n");

      LocalPostgres.stopLeftover(dataDir);

      assertThat(unrelated.waitFor(1, TimeUnit.SECONDS)).as("the unrelated process still runs").isFalse();
      assertThat(dataDir.resolve("postmaster.pid")).as("so that PostgreSQL can start").doesNotExist();
    } finally {
      unrelated.destroyForcibly();
    }
  }

  @Test
  void aPidFileOfAGonePostmasterIsLeftToPostgres() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Files.writeString(dataDir.resolve("postmaster.pid"), gone.pid() + "\n" + dataDir + "\n0\n");

    LocalPostgres.stopLeftover(dataDir);

    assertThat(dataDir.resolve("postmaster.pid")).exists();
  }

  @Test
  void onlyAPostgresOfThisDataFolderStartedWhenTheFileSaysIsOurs() {
    ProcessHandle self = ProcessHandle.current();
    assertThat(LocalPostgres.notOurPostmaster(self, dataDir, java.util.List.of("1", dataDir.toString(), "0")))
        .hasValueSatisfying(why -> assertThat(why).startsWith("it runs "));
  }

  /** The pid files of the launcher's children: a recycled pid (another start time) is not killed. */
  @Test
  void aChildPidFileWhoseStartTimeDiffersLeavesTheProcessAlone() throws Exception {
    Process unrelated = new ProcessBuilder("sleep", "300").start();
    try {
      Path pidFile = dataDir.resolve("user-svc-1.pid");
      Files.writeString(pidFile, unrelated.pid() + "\n2020-01-01T00:00:00Z\n");

      ServiceProcess.killLeftover(pidFile);

      assertThat(unrelated.isAlive()).isTrue();
      assertThat(pidFile).doesNotExist();
    } finally {
      unrelated.destroyForcibly();
    }
  }
}
