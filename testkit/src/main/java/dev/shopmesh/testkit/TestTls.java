package dev.shopmesh.testkit;

import dev.shopmesh.platform.tls.DevCa;
import dev.shopmesh.platform.tls.MeshTls;
import dev.shopmesh.platform.tls.SpiffeIds;
import dev.shopmesh.platform.tls.TlsSettings;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A mesh CA for this test JVM (made once, in a temporary folder) and a certificate per service
 * on demand, as {@code ./mesh up} makes them: what services need in TLS_CERT_FILE, TLS_KEY_FILE
 * and TLS_CA_FILE, and mutual-TLS channels that call as a given service.
 */
public final class TestTls {
  private static final Duration VALIDITY = Duration.ofDays(2);
  private static final Path DIR;
  private static final DevCa CA;
  private static final Map<String, TlsSettings> ISSUED = new ConcurrentHashMap<>();

  static {
    try {
      DIR = Files.createTempDirectory("shopmesh-tls-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    CA = DevCa.create("shopmesh test CA", VALIDITY);
    CA.write(DIR.resolve("ca.crt"), DIR.resolve("ca.key"));
  }

  private TestTls() {}

  /** The mesh CA's certificate file. */
  public static Path caFile() {
    return DIR.resolve("ca.crt");
  }

  /** The mesh CA itself, to issue odd certificates with. */
  public static DevCa ca() {
    return CA;
  }

  /** {@code service}'s certificate, key and the CA, issued by the mesh CA once per JVM. */
  public static TlsSettings of(String service) {
    return ISSUED.computeIfAbsent(
        service,
        s -> {
          Path cert = DIR.resolve(s + ".crt");
          Path key = DIR.resolve(s + ".key");
          CA.issue(s, VALIDITY).write(cert, key);
          return new TlsSettings(cert, key, caFile());
        });
  }

  /** TLS_CERT_FILE, TLS_KEY_FILE and TLS_CA_FILE for {@code service}. */
  public static Map<String, String> vars(String service) {
    TlsSettings tls = of(service);
    return Map.of(
        "TLS_CERT_FILE", tls.certFile().toString(),
        "TLS_KEY_FILE", tls.keyFile().toString(),
        "TLS_CA_FILE", tls.caFile().toString());
  }

  /** A certificate for {@code service} from a CA of its own, which the mesh does not trust. */
  public static TlsSettings fromAnotherCa(String service) {
    return ISSUED.computeIfAbsent(
        "other-ca/" + service,
        s -> {
          Path dir = DIR.resolve("other-ca");
          DevCa other = DevCa.create("not the shopmesh CA", VALIDITY);
          other.write(dir.resolve("ca.crt"), dir.resolve("ca.key"));
          other.issue(service, VALIDITY).write(dir.resolve(service + ".crt"), dir.resolve(service + ".key"));
          // The client trusts the mesh CA (so it reaches the server), but presents a foreign cert.
          return new TlsSettings(dir.resolve(service + ".crt"), dir.resolve(service + ".key"), caFile());
        });
  }

  /** A mutual-TLS channel to {@code localhost:port} that presents {@code client}'s certificate. */
  public static ManagedChannel channel(int port, TlsSettings client, String serverService) {
    return Grpc.newChannelBuilder("localhost:" + port, MeshTls.credentials(client, SpiffeIds.of(serverService)))
        .overrideAuthority(serverService)
        .build();
  }

  /** A mutual-TLS channel to payment-svc's internal port, calling as {@code service}. */
  public static ManagedChannel asService(String service, int paymentInternalPort) {
    return channel(paymentInternalPort, of(service), "payment-svc");
  }
}
