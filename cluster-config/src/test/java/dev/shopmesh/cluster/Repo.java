package dev.shopmesh.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The repository these tests check: its root and its files, read as they are on disk. */
final class Repo {
  private static final Path ROOT = findRoot();

  private Repo() {}

  static Path root() {
    return ROOT;
  }

  static Path file(String relative) {
    return ROOT.resolve(relative);
  }

  static String read(String relative) {
    try {
      return Files.readString(file(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * YAML as plain maps and lists. Duplicate keys fail (a silently overridden key is a bug);
   * anchors and aliases (which envoy.yaml uses a lot) resolve to shared values.
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> yaml(String relative) {
    return (Map<String, Object>) parseYaml(read(relative));
  }

  static Object parseYaml(String text) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(500);
    return new Yaml(new SafeConstructor(options)).load(text);
  }

  /** The module directory this test runs in has the repository root as its parent. */
  private static Path findRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      if (Files.isRegularFile(dir.resolve("pom.xml"))
          && Files.isRegularFile(dir.resolve("compose.yaml"))
          && Files.isDirectory(dir.resolve("cluster-config"))) {
        return dir;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException(
        "cannot find the repository root (pom.xml, compose.yaml) above " + Path.of("").toAbsolutePath());
  }
}
