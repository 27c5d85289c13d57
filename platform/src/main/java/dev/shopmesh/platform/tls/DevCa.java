package dev.shopmesh.platform.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A development certificate authority for the mesh: an EC P-256 root that issues each service
 * a leaf certificate naming it by SPIFFE id ({@code spiffe://shopmesh.local/<service>}, the
 * certificate's one URI SAN), good for TLS server and client authentication alike. Keys are
 * written as unencrypted PKCS#8 PEM ("PRIVATE KEY"), the only form Netty's TLS reads, with
 * owner-only permissions.
 *
 * <p>Built with BouncyCastle's certificate builder (bcpkix), signing through the JDK's own
 * SHA256withECDSA. Only the launcher and the tests generate certificates; the services read
 * PEM files and need none of this, which is why bcpkix is an optional dependency of platform.
 */
public final class DevCa {
  /** A key and the certificate for it. */
  public record Issued(X509Certificate certificate, PrivateKey key) {
    /** Writes the certificate (0644) and the key (0600, created so, never wider). */
    public void write(Path certFile, Path keyFile) {
      writeCertificate(certFile, certificate);
      writeKey(keyFile, key);
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  private final X509Certificate certificate;
  private final PrivateKey key;

  private DevCa(X509Certificate certificate, PrivateKey key) {
    this.certificate = certificate;
    this.key = key;
  }

  /** A new self-signed root, valid from a minute ago for {@code validity}. */
  public static DevCa create(String commonName, Duration validity) {
    KeyPair pair = newKeyPair();
    X500Name name = new X500Name("CN=" + commonName + ",O=shopmesh");
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  name, serial(), Date.from(now.minusSeconds(60)), Date.from(now.plus(validity)), name, pair.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      return new DevCa(sign(builder, pair.getPrivate()), pair.getPrivate());
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create the dev CA", e);
    }
  }

  /** The CA from its PEM certificate and PKCS#8 PEM key. */
  public static DevCa load(Path certFile, Path keyFile) {
    return new DevCa(readCertificate(certFile), readKey(keyFile));
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** Writes the CA's certificate (0644) and key (0600). */
  public void write(Path certFile, Path keyFile) {
    new Issued(certificate, key).write(certFile, keyFile);
  }

  /**
   * A leaf for {@code service}: URI SAN {@code spiffe://shopmesh.local/<service>}, and DNS names
   * {@code service} and {@code localhost} plus 127.0.0.1 so that grpcurl's hostname check passes
   * too (the mesh itself checks the SPIFFE id, not host names).
   */
  public Issued issue(String service, Duration validity) {
    return issue(service, SpiffeIds.of(service), validity);
  }

  /** A leaf for {@code service} that names {@code spiffeId} (tests forge odd ones with it). */
  public Issued issue(String service, String spiffeId, Duration validity) {
    KeyPair pair = newKeyPair();
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      GeneralNames names =
          new GeneralNames(
              new GeneralName[] {
                new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId),
                new GeneralName(GeneralName.dNSName, service),
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
              });
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  certificate,
                  serial(),
                  Date.from(now.minusSeconds(60)),
                  Date.from(now.plus(validity)),
                  new X500Name("CN=" + service + ",O=shopmesh"),
                  pair.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
              .addExtension(Extension.subjectAlternativeName, false, names)
              .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
              .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      return new Issued(sign(builder, key), pair.getPrivate());
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot issue a certificate for " + service, e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
      throws OperatorCreationException, GeneralSecurityException {
    ContentSigner signature = new JcaContentSignerBuilder("SHA256withECDSA").build(signer);
    return new JcaX509CertificateConverter().getCertificate(builder.build(signature));
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC P-256 in this JDK", e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE); // positive, 16 bytes at most
  }

  /** Reads the first certificate of a PEM file ({@link Pem#readCertificate}). */
  public static X509Certificate readCertificate(Path file) {
    return Pem.readCertificate(file);
  }

  /** Reads an unencrypted PKCS#8 PEM EC key ({@link Pem#readKey}). */
  public static PrivateKey readKey(Path file) {
    return Pem.readKey(file);
  }

  static void writeCertificate(Path file, X509Certificate certificate) {
    writeAtomically(file, pem(certificate), false);
  }

  static void writeKey(Path file, PrivateKey key) {
    // PKCS#8 "PRIVATE KEY": what PrivateKey.getEncoded() is for every JDK key.
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded());
    writeAtomically(file, "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n", true);
  }

  private static String pem(Object object) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** Writes through a temporary file in the same folder, created owner-only when secret. */
  private static void writeAtomically(Path file, String text, boolean secret) {
    Path dir = file.toAbsolutePath().getParent();
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    try {
      Files.createDirectories(dir);
      Path tmp =
          posix
              ? Files.createTempFile(
                  dir,
                  "." + file.getFileName(),
                  ".tmp",
                  PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--")))
              : Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
      try {
        Files.writeString(tmp, text, StandardCharsets.US_ASCII);
        if (posix) {
          // createTempFile's attribute is masked by the umask; set it exactly.
          Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--"));
        }
        try {
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Whether {@code certificate} is still valid {@code margin} from now. */
  public static boolean validFor(X509Certificate certificate, Duration margin) {
    return certificate.getNotAfter().toInstant().isAfter(Instant.now().plus(margin));
  }
}
