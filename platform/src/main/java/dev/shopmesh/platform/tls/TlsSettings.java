package dev.shopmesh.platform.tls;

import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A service's mesh identity for mutual TLS: its certificate, its key and the mesh CA.
 *
 * @param certFile {@code TLS_CERT_FILE}: PEM certificate naming the service by SPIFFE id
 * @param keyFile {@code TLS_KEY_FILE}: its unencrypted PKCS#8 PEM key (Netty reads no other form)
 * @param caFile {@code TLS_CA_FILE}: PEM certificate of the mesh CA, the only one trusted for peers
 */
public record TlsSettings(Path certFile, Path keyFile, Path caFile) {

  /** Reads the three variables; every one is required, and each must name a readable file. */
  public static TlsSettings from(Env env) {
    // Read all three before complaining, so that every name counts as read.
    Optional<String> cert = env.optional("TLS_CERT_FILE");
    Optional<String> key = env.optional("TLS_KEY_FILE");
    Optional<String> ca = env.optional("TLS_CA_FILE");
    List<String> missing = new ArrayList<>();
    if (cert.isEmpty()) missing.add("TLS_CERT_FILE");
    if (key.isEmpty()) missing.add("TLS_KEY_FILE");
    if (ca.isEmpty()) missing.add("TLS_CA_FILE");
    if (!missing.isEmpty()) {
      throw new ConfigException(
          String.join(", ", missing)
              + (missing.size() == 1 ? " is" : " are")
              + " not set: mutual TLS between services needs this service's certificate"
              + " (TLS_CERT_FILE), its PKCS#8 key (TLS_KEY_FILE) and the mesh CA (TLS_CA_FILE);"
              + " ./mesh up makes them in .mesh/tls");
    }
    return new TlsSettings(
        readable("TLS_CERT_FILE", cert.get()), readable("TLS_KEY_FILE", key.get()), readable("TLS_CA_FILE", ca.get()));
  }

  private static Path readable(String name, String value) {
    Path path = Path.of(value);
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      throw new ConfigException(name + " names " + value + ", which is not a readable file");
    }
    return path;
  }
}
