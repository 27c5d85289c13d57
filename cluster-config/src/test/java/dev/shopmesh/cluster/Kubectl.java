package dev.shopmesh.cluster;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code kubectl kustomize}, the kustomize that {@code kubectl apply -k} runs. Found as
 * {@code $KUBECTL}, then {@code .tools/bin/kubectl} (where .ci/run installs it), then on PATH.
 * Where there is none the tests that need it are skipped and say why, unless
 * {@code SHOPMESH_REQUIRE_KUBECTL=1} (.ci/run sets it), when they fail.
 */
final class Kubectl {
  private static final Optional<Path> BINARY = find();

  private Kubectl() {}

  static Optional<Path> binary() {
    return BINARY;
  }

  /** Skips the calling test (or fails it, when CI requires kubectl) if there is no kubectl. */
  static void assumeAvailable() {
    if (BINARY.isEmpty()) {
      String why = "kubectl not found ($KUBECTL, .tools/bin/kubectl, PATH): the Kubernetes manifests were not built."
          + " .ci/run installs kubectl v1.32; locally, install kubectl v1.32 or set KUBECTL";
      if ("1".equals(System.getenv("SHOPMESH_REQUIRE_KUBECTL"))) {
        throw new AssertionError(why);
      }
      assumeTrue(false, why);
    }
  }

  /** The output of {@code kubectl kustomize dir}, or an exception carrying kustomize's error. */
  static String kustomize(Path dir) {
    assumeAvailable();
    List<String> command = List.of(BINARY.get().toString(), "kustomize", dir.toString());
    try {
      Process p = new ProcessBuilder(command).start();
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
      String out = read(p.getInputStream());
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out: " + command);
      }
      if (p.exitValue() != 0) {
        throw new KustomizeException(dir + ": " + err.join().strip());
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** kustomize refused to build. */
  static final class KustomizeException extends RuntimeException {
    KustomizeException(String message) {
      super(message);
    }
  }

  private static String read(InputStream in) {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<Path> find() {
    String env = System.getenv("KUBECTL");
    if (env != null && !env.isBlank()) {
      return Files.isExecutable(Path.of(env)) ? Optional.of(Path.of(env)) : Optional.empty();
    }
    Path tools = Repo.file(".tools/bin/kubectl");
    if (Files.isExecutable(tools)) {
      return Optional.of(tools);
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(java.io.File.pathSeparator)) {
        Path candidate = Path.of(dir, "kubectl");
        if (Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }
}
