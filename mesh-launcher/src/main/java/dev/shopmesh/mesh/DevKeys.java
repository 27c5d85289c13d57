package dev.shopmesh.mesh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.stream.Stream;

/**
 * The development signing keys of {@code ./mesh up}: one EC P-256 key, PKCS#8 PEM, made once in
 * {@code .mesh/keys/} (directory 0700, file 0600) and kept across restarts, so that tokens stay
 * valid when the mesh restarts. Every user-svc replica signs with it (SIGNING_KEYS_DIR).
 */
final class DevKeys {
  private DevKeys() {}

  /** The key directory, with a key in it (made now if there was none). */
  static Path ensure(Path home) {
    Path dir = home.resolve("keys");
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      try (Stream<Path> files = Files.list(dir)) {
        if (files.anyMatch(p -> p.getFileName().toString().endsWith(".pem"))) {
          return dir;
        }
      }
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      byte[] pkcs8 = generator.generateKeyPair().getPrivate().getEncoded();
      String pem =
          "-----BEGIN PRIVATE KEY-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pkcs8)
              + "\n-----END PRIVATE KEY-----\n";
      Path file = dir.resolve("dev-signing-key.pem");
      Files.writeString(file, pem, StandardCharsets.US_ASCII);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      Mesh.say("made a development signing key in " + file);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the signing keys in " + dir, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make EC P-256 keys", e);
    }
  }
}
