package dev.shopmesh.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.platform.tls.DevCa;
import dev.shopmesh.platform.tls.SpiffeIds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./mesh up's dev CA and service certificates, and what the plan gives each service. */
class DevCertificatesTest {
  @TempDir Path home;

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void theFirstRunMakesACaAndAKeyPairPerServiceOwnerOnly() throws Exception {
    DevCertificates tls = new DevCertificates(home.resolve("tls"));

    tls.ensure("rw-------");

    assertThat(mode(home.resolve("tls"))).isEqualTo("rwx------");
    X509Certificate ca = DevCa.readCertificate(tls.ca());
    for (String service : DevCertificates.SERVICES) {
      X509Certificate cert = DevCa.readCertificate(tls.cert(service));
      cert.verify(ca.getPublicKey()); // throws unless the CA signed it
      assertThat(SpiffeIds.uris(cert)).containsExactly(SpiffeIds.of(service));
      assertThat(mode(tls.key(service))).isEqualTo("rw-------");
      assertThat(Files.readString(tls.key(service))).startsWith("-----BEGIN PRIVATE KEY-----");
      assertThat(DevCa.readKey(tls.key(service)).getAlgorithm()).isEqualTo("EC");
    }
    assertThat(mode(home.resolve("tls/ca.key"))).isEqualTo("rw-------");
  }

  @Test
  void aSecondRunKeepsWhatIsThere() throws Exception {
    DevCertificates tls = new DevCertificates(home.resolve("tls"));
    tls.ensure("rw-------");
    String before = Files.readString(tls.cert("order-svc")) + Files.readString(tls.ca());

    assertThat(tls.ensure("rw-------")).isEmpty();
    assertThat(Files.readString(tls.cert("order-svc")) + Files.readString(tls.ca())).isEqualTo(before);
  }

  @Test
  void aMissingCertificateIsReissuedByTheSameCa() throws Exception {
    DevCertificates tls = new DevCertificates(home.resolve("tls"));
    tls.ensure("rw-------");
    String ca = Files.readString(tls.ca());
    Files.delete(tls.key("payment-svc"));

    assertThat(tls.ensure("rw-------")).containsExactly(tls.cert("payment-svc"));
    assertThat(Files.readString(tls.ca())).isEqualTo(ca);
    DevCa.readCertificate(tls.cert("payment-svc")).verify(DevCa.readCertificate(tls.ca()).getPublicKey());
  }

  @Test
  void aNewCaReissuesEveryCertificate() throws Exception {
    DevCertificates tls = new DevCertificates(home.resolve("tls"));
    tls.ensure("rw-------");
    Files.delete(tls.ca());

    assertThat(tls.ensure("rw-------")).contains(tls.ca(), tls.cert("order-svc"), tls.cert("payment-svc"));
  }

  @Test
  void containerReadableKeysAreForComposeOnly() throws Exception {
    DevCertificates tls = new DevCertificates(home.resolve("compose"));

    tls.ensure("rw-r--r--");

    assertThat(mode(tls.key("order-svc"))).isEqualTo("rw-r--r--");
    assertThat(mode(home.resolve("compose"))).isEqualTo("rwx------");
  }

  @Test
  void paymentSvcListensOnItsPortPlus1000ForChargeAndOrderSvcCallsThere() {
    MeshOptions options =
        MeshOptions.parse(new String[] {"up", "--replicas", "2"}, Map.of("MESH_HOME", home.toString()));

    var plan = MeshPlan.replicas(options);

    var payment = plan.stream().filter(r -> r.name().equals("payment-svc-2")).findFirst().orElseThrow();
    assertThat(payment.env()).containsEntry("PORT", "50063").containsEntry("INTERNAL_PORT", "51063")
        .containsEntry("TLS_CERT_FILE", home.resolve("tls/payment-svc.crt").toString())
        .containsEntry("TLS_KEY_FILE", home.resolve("tls/payment-svc.key").toString())
        .containsEntry("TLS_CA_FILE", home.resolve("tls/ca.crt").toString());
    assertThat(payment.listensOn()).contains(":51063");
    var order = plan.stream().filter(r -> r.name().equals("order-svc-1")).findFirst().orElseThrow();
    assertThat(order.env()).containsEntry("PAYMENT_SVC_TARGET", "localhost:51053,localhost:51063")
        .containsEntry("TLS_CERT_FILE", home.resolve("tls/order-svc.crt").toString());
    var users = plan.stream().filter(r -> r.name().equals("user-svc-1")).findFirst().orElseThrow();
    assertThat(users.env()).doesNotContainKey("TLS_KEY_FILE");
  }
}
