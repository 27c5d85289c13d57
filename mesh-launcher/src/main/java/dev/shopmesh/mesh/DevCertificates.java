package dev.shopmesh.mesh;

import dev.shopmesh.platform.tls.DevCa;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The mesh's development CA and each service's certificate, in one folder: {@code ca.crt},
 * {@code ca.key} and {@code <service>.crt}/{@code <service>.key} (PKCS#8, EC P-256, SPIFFE id
 * {@code spiffe://shopmesh.local/<service>}). Made once and kept: a later run reuses what is
 * there and only issues what is missing or expires within a week (a new CA reissues every
 * certificate). The folder is the owner's only (0700), keys are 0600.
 *
 * <p>{@code ./mesh up} keeps them in {@code .mesh/tls}; {@code ./mesh certs DIR} writes them
 * anywhere, for compose ({@code deploy/tls}) and Kubernetes ({@code deploy/k8s/base/tls}).
 */
final class DevCertificates {
  /** The services that call or serve internal methods over mutual TLS. */
  static final List<String> SERVICES = List.of("order-svc", "payment-svc");

  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  static final Duration LEAF_VALIDITY = Duration.ofDays(365);
  static final Duration RENEW_BEFORE = Duration.ofDays(7);

  private final Path dir;

  DevCertificates(Path dir) {
    this.dir = dir.toAbsolutePath();
  }

  Path ca() {
    return dir.resolve("ca.crt");
  }

  Path cert(String service) {
    return dir.resolve(service + ".crt");
  }

  Path key(String service) {
    return dir.resolve(service + ".key");
  }

  /**
   * Makes what is missing; returns what it wrote (empty when everything was there).
   *
   * @param keyMode the permissions of the services' keys: "rw-------", or "rw-r--r--" for
   *     compose, whose file secrets are bind mounts that the containers' user must read
   */
  List<Path> ensure(String keyMode) {
    List<Path> written = new ArrayList<>();
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      DevCa ca;
      boolean newCa = !Files.isRegularFile(ca()) || !Files.isRegularFile(dir.resolve("ca.key"))
          || !DevCa.validFor(DevCa.readCertificate(ca()), RENEW_BEFORE);
      if (newCa) {
        ca = DevCa.create("shopmesh dev CA", CA_VALIDITY);
        ca.write(ca(), dir.resolve("ca.key"));
        written.add(ca());
      } else {
        ca = DevCa.load(ca(), dir.resolve("ca.key"));
      }
      for (String service : SERVICES) {
        if (newCa || !Files.isRegularFile(cert(service)) || !Files.isRegularFile(key(service))
            || !DevCa.validFor(DevCa.readCertificate(cert(service)), RENEW_BEFORE)
            || !signedBy(cert(service), ca)) {
          ca.issue(service, LEAF_VALIDITY).write(cert(service), key(service));
          written.add(cert(service));
        }
        Files.setPosixFilePermissions(key(service), PosixFilePermissions.fromString(keyMode));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the mesh's certificates in " + dir, e);
    }
    return written;
  }

  private static boolean signedBy(Path cert, DevCa ca) {
    try {
      DevCa.readCertificate(cert).verify(ca.certificate().getPublicKey());
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** TLS_CERT_FILE, TLS_KEY_FILE and TLS_CA_FILE for {@code service}. */
  Map<String, String> env(String service) {
    Map<String, String> env = new HashMap<>();
    env.put("TLS_CERT_FILE", cert(service).toString());
    env.put("TLS_KEY_FILE", key(service).toString());
    env.put("TLS_CA_FILE", ca().toString());
    return env;
  }

  /** {@code ./mesh certs [--container-readable-keys] DIR}. */
  public static void main(String[] args) {
    boolean containers = false;
    Path dir = null;
    for (String arg : args) {
      switch (arg) {
        case "--container-readable-keys" -> containers = true;
        case "-h", "--help" -> {
          System.out.println(USAGE);
          return;
        }
        default -> {
          if (arg.startsWith("-") || dir != null) {
            System.err.println("mesh certs: unexpected argument '" + arg + "'\n" + USAGE);
            System.exit(2);
          }
          dir = Path.of(arg);
        }
      }
    }
    if (dir == null) {
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    DevCertificates certs = new DevCertificates(dir);
    List<Path> written = certs.ensure(containers ? "rw-r--r--" : "rw-------");
    Mesh.say(written.isEmpty()
        ? "certificates in " + certs.dir + " are current; nothing written"
        : "wrote " + written.stream().map(p -> p.getFileName().toString()).toList() + " in " + certs.dir);
  }

  static final String USAGE =
      """
      usage: mesh certs [--container-readable-keys] DIR
        Makes the mesh's development CA (ca.crt, ca.key) and a certificate and PKCS#8 key for
        each of %s in DIR, once: what is there and current is kept. DIR is made 0700.
        --container-readable-keys  service keys 0644 instead of 0600 (DIR stays 0700), for
                                   compose, whose file secrets are bind mounts that the
                                   containers' user (uid 10001) must be able to read"""
          .formatted(String.join(", ", SERVICES));
}
