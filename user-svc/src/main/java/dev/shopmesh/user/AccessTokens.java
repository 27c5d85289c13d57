package dev.shopmesh.user;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.shopmesh.platform.auth.AuthSettings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/**
 * Issues access tokens (RFC 9068): ES256 JWTs with {@code typ: at+jwt} and the signing key's
 * {@code kid}; claims {@code iss}, {@code aud: shopmesh}, {@code sub} (the user id, never the
 * email), {@code roles}, {@code sid}, {@code jti}, {@code iat}, {@code nbf} and {@code exp}
 * (10 minutes). No personal data.
 */
final class AccessTokens {
  static final Duration LIFETIME = Duration.ofMinutes(10);
  private static final JOSEObjectType AT_JWT = new JOSEObjectType("at+jwt");

  private final KeyRing keys;
  private final String issuer;
  private final ECDSASigner signer;
  private final Clock clock;

  AccessTokens(KeyRing keys, String issuer, Clock clock) {
    this.keys = keys;
    this.issuer = issuer;
    this.clock = clock;
    try {
      this.signer = new ECDSASigner(keys.signing());
    } catch (JOSEException e) {
      throw new IllegalStateException("the signing key cannot sign: " + e.getMessage(), e);
    }
  }

  /** A signed token and when it expires. */
  record Issued(String token, Instant expireTime) {}

  Issued issue(UUID userId, List<String> roles, UUID sessionId) {
    Instant now = clock.instant();
    Instant exp = now.plus(LIFETIME);
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .audience(AuthSettings.AUDIENCE)
            .subject(userId.toString())
            .claim("roles", roles)
            .claim("sid", sessionId.toString())
            .jwtID(UUID.randomUUID().toString())
            .issueTime(Date.from(now))
            .notBeforeTime(Date.from(now))
            .expirationTime(Date.from(exp))
            .build();
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.ES256).type(AT_JWT).keyID(keys.signing().getKeyID()).build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("signing failed: " + e.getMessage(), e);
    }
    return new Issued(jwt.serialize(), exp);
  }
}
