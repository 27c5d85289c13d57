package dev.shopmesh.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.function.UnaryOperator;

/**
 * A copy of what deploy/k8s builds from, laid out as in the repository: deploy/ (the manifests
 * and deploy/postgres), envoy/, and proto/target/kustomize (the descriptor set the build wrote).
 * The development PostgreSQL's password files, which git ignores, are written with random
 * values, as its make-secrets script does. Tests build it as it is, or break a file of it first.
 */
final class K8sTree implements AutoCloseable {
  static final String K8S = "deploy/k8s";
  static final String[] COPIED = {"deploy", "envoy", "proto/target/kustomize"};
  static final String DEV_SECRETS = K8S + "/components/postgres-statefulset/secrets";
  /** What {@code ./mesh certs deploy/k8s/base/tls} writes: the mesh CA and service certificates. */
  static final String TLS_FILES = K8S + "/base/tls";

  private final Path root;

  private K8sTree(Path root) {
    this.root = root;
  }

  static K8sTree copy() {
    Path descriptor = Repo.file("proto/target/kustomize/shopmesh.protobin");
    if (!Files.isRegularFile(descriptor)) {
      throw new AssertionError(descriptor + " is missing: the proto module's build writes it (./mesh build)");
    }
    try {
      Path root = Files.createTempDirectory("shopmesh-k8s");
      for (String dir : COPIED) {
        copyTree(Repo.file(dir), root.resolve(dir));
      }
      Path secrets = root.resolve(DEV_SECRETS);
      Files.createDirectories(secrets);
      SecureRandom random = new SecureRandom();
      for (String name : new String[] {"postgres", "user-svc-db", "order-svc-db", "payment-svc-db", "notification-svc-db"}) {
        byte[] bytes = new byte[18];
        random.nextBytes(bytes);
        Files.writeString(secrets.resolve(name + "-password"), HexFormat.of().formatHex(bytes));
      }
      Path tls = root.resolve(TLS_FILES);
      Files.createDirectories(tls);
      Files.copy(dev.shopmesh.testkit.TestTls.caFile(), tls.resolve("ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      for (String service : new String[] {"order-svc", "payment-svc"}) {
        var issued = dev.shopmesh.testkit.TestTls.of(service);
        Files.copy(issued.certFile(), tls.resolve(service + ".crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(issued.keyFile(), tls.resolve(service + ".key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      return new K8sTree(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path root() {
    return root;
  }

  /** A kustomization folder of deploy/k8s, such as {@code overlays/prod}. */
  Path dir(String underK8s) {
    return root.resolve(K8S).resolve(underK8s);
  }

  /** Rewrites a file of the copy; fails if the edit changes nothing (a test that breaks nothing). */
  K8sTree edit(String relative, UnaryOperator<String> change) {
    Path file = root.resolve(relative);
    try {
      String before = Files.readString(file);
      String after = change.apply(before);
      if (after.equals(before)) {
        throw new AssertionError("the edit of " + relative + " changed nothing");
      }
      Files.writeString(file, after);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Replaces exactly one occurrence of {@code from}. */
  K8sTree replace(String relative, String from, String to) {
    return edit(relative, text -> {
      int at = text.indexOf(from);
      if (at < 0 || text.indexOf(from, at + 1) >= 0) {
        throw new AssertionError(relative + " should contain exactly one '" + from + "'");
      }
      return text.substring(0, at) + to + text.substring(at + from.length());
    });
  }

  /** Replaces the first occurrence of {@code from}. */
  K8sTree replaceFirst(String relative, String from, String to) {
    return edit(relative, text -> {
      int at = text.indexOf(from);
      if (at < 0) {
        throw new AssertionError(relative + " has no '" + from + "'");
      }
      return text.substring(0, at) + to + text.substring(at + from.length());
    });
  }

  K8sTree write(String relative, String content) {
    try {
      Path file = root.resolve(relative);
      Files.createDirectories(file.getParent());
      Files.writeString(file, content);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code kubectl kustomize} of a folder of the copy, parsed. */
  Manifests build(String underK8s) {
    return Manifests.parse(Kubectl.kustomize(dir(underK8s)));
  }

  @Override
  public void close() {
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
          Files.delete(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(from, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        if (dir.getFileName().toString().equals("secrets") && !dir.equals(from)) {
          return FileVisitResult.SKIP_SUBTREE; // local password files: the copy gets its own
        }
        Files.createDirectories(to.resolve(from.relativize(dir).toString()));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.copy(file, to.resolve(from.relativize(file).toString()));
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
