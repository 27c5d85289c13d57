package dev.shopmesh.cluster;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JVM's memory as its flags cap it, against a container's memory limit: the heap, metaspace,
 * code cache and direct memory pools, the platform threads' stacks, and the JVM's own native
 * memory on top. Used for the Dockerfile's flags (compose) and the manifests' (Kubernetes).
 */
final class JvmFlags {
  /** A JVM's memory beyond its capped pools: GC structures, symbols, malloc arenas. */
  static final long NATIVE_OVERHEAD_MIB = 48;

  /** Platform threads whose stacks are counted (calls run on virtual threads, stacks on the heap). */
  static final int PLATFORM_THREADS = 64;

  private JvmFlags() {}

  private static final Pattern SIZE = Pattern.compile("(\\d+)([kKmMgG]?)");

  /** The JVM's capped pools, in KiB, from its flags; absent ones missing from the map. */
  static Map<String, Long> caps(List<String> command) {
    Map<String, Long> caps = new LinkedHashMap<>();
    String[][] flags = {{"-Xmx", "heap"}, {"-XX:MaxMetaspaceSize=", "metaspace"},
        {"-XX:ReservedCodeCacheSize=", "code cache"}, {"-XX:MaxDirectMemorySize=", "direct memory"}, {"-Xss", "thread stack"}};
    for (String arg : command) {
      for (String[] f : flags) {
        if (arg.startsWith(f[0])) {
          caps.put(f[1], kib(arg.substring(f[0].length())));
        }
      }
    }
    return caps;
  }

  static long kib(String size) {
    Matcher mm = SIZE.matcher(size);
    if (!mm.matches()) {
      throw new IllegalArgumentException("not a JVM size: " + size);
    }
    long n = Long.parseLong(mm.group(1));
    return switch (mm.group(2).toLowerCase()) {
      case "k" -> n;
      case "m" -> n * 1024;
      case "g" -> n * 1024 * 1024;
      default -> Math.max(1, n / 1024);
    };
  }

  /**
   * What a JVM with these caps may take, in MiB: heap + metaspace + code cache + direct memory
   * + the stacks of {@link #PLATFORM_THREADS} platform threads (1 MiB each unless -Xss says)
   * + {@link #NATIVE_OVERHEAD_MIB} of its own native memory.
   */
  static long footprintMib(Map<String, Long> caps) {
    long pools = caps.get("heap") + caps.get("metaspace") + caps.get("code cache") + caps.get("direct memory");
    long stacks = PLATFORM_THREADS * caps.getOrDefault("thread stack", 1024L);
    return (pools + stacks) / 1024 + NATIVE_OVERHEAD_MIB;
  }

  static long quantityMib(Object q) {
    String s = String.valueOf(q);
    Matcher mm = Pattern.compile("(\\d+)(Ki|Mi|Gi|K|M|G)?").matcher(s);
    if (!mm.matches()) {
      throw new IllegalArgumentException("not a memory quantity: " + s);
    }
    long n = Long.parseLong(mm.group(1));
    return switch (mm.group(2) == null ? "" : mm.group(2)) {
      case "Ki" -> n / 1024;
      case "Mi" -> n;
      case "Gi" -> n * 1024;
      case "K" -> n * 1000 / 1024 / 1024;
      case "M" -> n * 1000 * 1000 / 1024 / 1024;
      case "G" -> n * 1000 * 1000 * 1000 / 1024 / 1024;
      default -> n / 1024 / 1024;
    };
  }

}
