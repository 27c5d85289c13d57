package dev.shopmesh.user;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import dev.shopmesh.platform.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.jce.ECNamedCurveTable;

/**
 * The signing keys of user-svc, from {@code SIGNING_KEYS_DIR}: every {@code *.pem} file there
 * holds one EC P-256 private key in PKCS#8 PEM ({@code -----BEGIN PRIVATE KEY-----}).
 *
 * <ul>
 *   <li>every key is published in the JWKS (its {@code kid} is its RFC 7638 thumbprint);
 *   <li>the key whose file name sorts last signs, except files named {@code *.next.pem}: those
 *       are published only, so that every verifier knows a key before any token uses it.
 * </ul>
 *
 * Rotation (docs/IDENTITY.md): add {@code new.next.pem} and roll the replicas; rename it to
 * {@code new.pem} (sorting last) and roll them again; once the old key's last token has expired
 * (10 minutes and the 30 s skew), delete the old file and roll once more.
 */
final class KeyRing {
  private final ECKey signing;
  private final JWKSet all;

  private KeyRing(ECKey signing, JWKSet all) {
    this.signing = signing;
    this.all = all;
  }

  static KeyRing load(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new ConfigException("SIGNING_KEYS_DIR must be a directory of PKCS#8 EC P-256 PEM keys, got '" + dir + "'");
    }
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.getFileName().toString().endsWith(".pem")).sorted().toList();
    } catch (IOException e) {
      throw new ConfigException("SIGNING_KEYS_DIR " + dir + " cannot be read: " + e.getMessage());
    }
    List<ECKey> keys = new ArrayList<>();
    ECKey signing = null;
    for (Path file : files) {
      ECKey key = read(file);
      keys.add(key);
      if (!file.getFileName().toString().endsWith(".next.pem")) {
        signing = key; // the last in name order wins
      }
    }
    if (signing == null) {
      throw new ConfigException(
          "SIGNING_KEYS_DIR " + dir + " holds no signing key: put a PKCS#8 EC P-256 key in a *.pem file"
              + " (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem)");
    }
    return new KeyRing(signing, new JWKSet(new ArrayList<>(keys)));
  }

  /** The key new tokens are signed with. */
  ECKey signing() {
    return signing;
  }

  /** Every key's public half, as served at /.well-known/jwks.json. */
  JWKSet publicKeys() {
    return all.toPublicJWKSet();
  }

  static ECKey read(Path file) {
    try {
      String pem = Files.readString(file, StandardCharsets.US_ASCII);
      int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
      int end = pem.indexOf("-----END PRIVATE KEY-----");
      if (begin < 0 || end < begin) {
        throw new ConfigException(file + " is not a PKCS#8 PEM key (-----BEGIN PRIVATE KEY-----)");
      }
      byte[] der =
          Base64.getMimeDecoder().decode(pem.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
      ECPrivateKey key = (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
      if (!Curve.P_256.equals(Curve.forECParameterSpec(key.getParams()))) {
        throw new ConfigException(file + " is not an EC key on the P-256 curve");
      }
      return new ECKey.Builder(Curve.P_256, publicOf(key))
          .privateKey(key)
          .keyUse(KeyUse.SIGNATURE)
          .algorithm(JWSAlgorithm.ES256)
          .keyIDFromThumbprint()
          .build();
    } catch (IOException e) {
      throw new ConfigException(file + " cannot be read: " + e.getMessage());
    } catch (GeneralSecurityException | ClassCastException | IllegalArgumentException | JOSEException e) {
      throw new ConfigException(file + " is not a PKCS#8 EC P-256 private key: " + e.getMessage());
    }
  }

  /** Q = d·G: PKCS#8 need not carry the public key, so it is computed. */
  private static ECPublicKey publicOf(ECPrivateKey key) throws GeneralSecurityException {
    var curve = ECNamedCurveTable.getParameterSpec("secp256r1");
    var q = curve.getG().multiply(key.getS()).normalize();
    var point = new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
    return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, key.getParams()));
  }
}
