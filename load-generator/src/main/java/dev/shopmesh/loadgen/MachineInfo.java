package dev.shopmesh.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The machine a run measured, for the report: cores, CPU model, memory, JDK and OS.
 *
 * @param memoryGiB total memory, from /proc/meminfo (0 when unknown)
 */
record MachineInfo(int cores, String cpuModel, double memoryGiB, String java, String os) {

  static MachineInfo current() {
    return new MachineInfo(
        Runtime.getRuntime().availableProcessors(),
        procLine("/proc/cpuinfo", "model name").orElse(System.getProperty("os.arch")),
        procLine("/proc/meminfo", "MemTotal")
            .map(v -> Long.parseLong(v.replaceAll("[^0-9]", "")) / (1024.0 * 1024.0))
            .orElse(0.0),
        System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " " + Runtime.version(),
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
  }

  String summary() {
    return String.format(
        Locale.ROOT, "%d cores (%s), %.1f GiB, %s, %s", cores, cpuModel, memoryGiB, java, os);
  }

  private static Optional<String> procLine(String file, String key) {
    try {
      List<String> lines = Files.readAllLines(Path.of(file));
      return lines.stream()
          .filter(l -> l.startsWith(key))
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .findFirst();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
