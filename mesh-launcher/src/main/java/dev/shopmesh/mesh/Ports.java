package dev.shopmesh.mesh;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Are the mesh's ports free, and if not, who holds them. Checked before anything starts, so that
 * a busy port is a clear error rather than a JVM that fails to bind, or worse, someone else's
 * server answering the launcher's health checks as if it were its own.
 */
final class Ports {
  private Ports() {}

  /** Every port the plan listens on: PostgreSQL's and every {@code *PORT} variable of every process. */
  static Set<Integer> of(MeshOptions options, List<MeshPlan.Replica> plan) {
    Set<Integer> ports = new TreeSet<>();
    ports.add(options.pgPort());
    for (MeshPlan.Replica r : plan) {
      r.env().forEach(
          (k, v) -> {
            if (k.endsWith("PORT")) {
              try {
                ports.add(Integer.parseInt(v.trim()));
              } catch (NumberFormatException notAPort) {
                // not a number: not ours to judge
              }
            }
          });
    }
    ports.remove(0);
    return ports;
  }

  /** One line per busy port, naming the process that holds it when this system says. */
  static List<String> busy(Set<Integer> ports) {
    List<String> busy = new ArrayList<>();
    for (int port : ports) {
      if (!free(port)) {
        busy.add("port " + port + " is in use" + holder(port).map(h -> " by " + h).orElse(""));
      }
    }
    return busy;
  }

  static boolean free(int port) {
    // The services bind the wildcard address, as this does: a listener on any address clashes.
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true); // a port in TIME_WAIT is free for a server
      s.bind(new InetSocketAddress(port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The process listening on {@code port}, as "pid N (command line)", from Linux's /proc: the
   * socket's inode in /proc/net/tcp{,6}, then the process with a descriptor on it. Empty
   * elsewhere, or when the process belongs to another user.
   */
  static Optional<String> holder(int port) {
    Set<String> inodes = new TreeSet<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] f = line.trim().split("\\s+");
          // sl local_address rem_address st ... inode (field 9); st 0A is LISTEN
          if (f.length > 9 && f[1].contains(":") && f[3].equals("0A")
              && Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16) == port) {
            inodes.add("socket:[" + f[9] + "]");
          }
        }
      } catch (IOException | RuntimeException e) {
        // no such table here
      }
    }
    if (inodes.isEmpty()) {
      return Optional.empty();
    }
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
          if (fds.anyMatch(fd -> {
            try {
              return inodes.contains(Files.readSymbolicLink(fd).toString());
            } catch (IOException e) {
              return false;
            }
          })) {
            long pid = Long.parseLong(proc.getFileName().toString());
            return Optional.of("pid " + pid + describe(pid));
          }
        } catch (IOException | RuntimeException e) {
          // not ours to look into, or gone
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private static String describe(long pid) {
    return ProcessHandle.of(pid)
        .flatMap(h -> h.info().commandLine())
        .map(c -> " (" + (c.length() > 160 ? c.substring(0, 160) + "…" : c) + ")")
        .orElse("");
  }
}
