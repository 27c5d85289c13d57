package dev.shopmesh.platform.auth;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Verifies access tokens (RFC 9068) the way every service and the Java edge must: ES256 only,
 * {@code typ: at+jwt}, the configured {@code iss}, {@code aud: shopmesh}, {@code exp} and
 * {@code nbf} with {@value #CLOCK_SKEW_SECONDS} s of clock skew, and {@code sub}, {@code sid},
 * {@code jti}, {@code iat} present. A token longer than {@value #MAX_TOKEN_CHARS} characters is
 * refused unread.
 *
 * <p><b>Keys</b> come from user-svc's JWKS through nimbus' {@link JWKSourceBuilder}: cached for
 * {@link #CACHE_TTL}, fetched again at once when a token names a key id the cache does not know
 * (a rotation), at most once per {@link #MIN_REFETCH_INTERVAL}, with one retry of a failed
 * fetch. When the set cannot be fetched, nothing verifies: it fails closed (no outage
 * tolerance), as {@link TokenException.Kind#KEYS_UNAVAILABLE}.
 *
 * <p><b>Verified tokens</b> are remembered until they expire (a bounded map keyed by the whole
 * token), so that a client repeating its token costs a map lookup instead of an ECDSA
 * verification. A token is a bearer secret either way; the map holds nothing the client did not
 * send.
 */
public final class TokenVerifier {
  public static final int CLOCK_SKEW_SECONDS = 30;
  public static final int MAX_TOKEN_CHARS = 8 * 1024;
  public static final Duration CACHE_TTL = Duration.ofMinutes(5);
  public static final Duration MIN_REFETCH_INTERVAL = Duration.ofSeconds(30);
  static final int MAX_REMEMBERED = 10_000;

  private static final Set<String> REQUIRED = Set.of("sub", "sid", "jti", "iat", "exp", "nbf", "iss", "aud");

  private final DefaultJWTProcessor<SecurityContext> processor;
  private final JWKSource<SecurityContext> keys;
  private final ConcurrentHashMap<String, Verified> verified = new ConcurrentHashMap<>();

  private record Verified(Caller caller, long expiresAtMillis) {}

  private TokenVerifier(JWKSource<SecurityContext> keys, String issuer) {
    this.keys = keys;
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType("at+jwt")));
    p.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, keys));
    DefaultJWTClaimsVerifier<SecurityContext> claims =
        new DefaultJWTClaimsVerifier<>(
            Set.of(AuthSettings.AUDIENCE), new JWTClaimsSet.Builder().issuer(issuer).build(), REQUIRED, null);
    claims.setMaxClockSkew(CLOCK_SKEW_SECONDS);
    p.setJWTClaimsSetVerifier(claims);
    this.processor = p;
  }

  /** A verifier that fetches keys from {@code settings.jwksUrl()}. */
  public static TokenVerifier remote(AuthSettings settings) {
    var retriever = new DefaultResourceRetriever(2_000, 2_000, 256 * 1024);
    JWKSource<SecurityContext> source =
        JWKSourceBuilder.<SecurityContext>create(settings.jwksUrl(), retriever)
            .cache(CACHE_TTL.toMillis(), 5_000)
            .rateLimited(MIN_REFETCH_INTERVAL.toMillis())
            .retrying(true)
            .refreshAheadCache(false)
            .outageTolerant(false)
            .build();
    return new TokenVerifier(source, settings.issuer());
  }

  /** A verifier over a fixed key set (user-svc verifies against the keys it signs with). */
  public static TokenVerifier local(JWKSet publicKeys, String issuer) {
    return new TokenVerifier(new ImmutableJWKSet<>(publicKeys.toPublicJWKSet()), issuer);
  }

  /**
   * The caller of a token verified before and not yet expired, without any work that could
   * block (the edge asks this on its event loop, and verifies on another thread otherwise).
   */
  public java.util.Optional<Caller> remembered(String token) {
    Verified known = token == null ? null : verified.get(token);
    return known != null && known.expiresAtMillis() > System.currentTimeMillis()
        ? java.util.Optional.of(known.caller())
        : java.util.Optional.empty();
  }

  /** The caller a token proves, or why it does not. */
  public Caller verify(String token) throws TokenException {
    if (token == null || token.isEmpty()) {
      throw new TokenException(TokenException.Kind.INVALID, "no token");
    }
    if (token.length() > MAX_TOKEN_CHARS) {
      throw new TokenException(TokenException.Kind.INVALID, "the token is longer than " + MAX_TOKEN_CHARS + " characters");
    }
    long now = System.currentTimeMillis();
    Verified known = verified.get(token);
    if (known != null) {
      if (known.expiresAtMillis() + CLOCK_SKEW_SECONDS * 1000L > now) {
        return known.caller();
      }
      verified.remove(token);
    }
    JWTClaimsSet claims;
    try {
      claims = processor.process(token, null);
    } catch (RateLimitReachedException e) {
      throw new TokenException(TokenException.Kind.INVALID, "the token's key is not known");
    } catch (KeySourceException e) {
      throw new TokenException(TokenException.Kind.KEYS_UNAVAILABLE, "the signing keys cannot be fetched");
    } catch (java.text.ParseException | BadJOSEException | com.nimbusds.jose.JOSEException e) {
      throw new TokenException(TokenException.Kind.INVALID, "the token is not valid");
    } catch (RuntimeException e) {
      // nimbus parses JSON of the client's choosing: whatever it throws, the token is bad.
      throw new TokenException(TokenException.Kind.INVALID, "the token is not valid");
    }
    Caller caller = caller(claims);
    remember(token, caller, claims.getExpirationTime().getTime());
    return caller;
  }

  private void remember(String token, Caller caller, long expiresAt) {
    if (verified.size() >= MAX_REMEMBERED) {
      verified.clear(); // bounded: a flood of distinct tokens costs verifications, not memory
    }
    verified.put(token, new Verified(caller, expiresAt));
  }

  private static Caller caller(JWTClaimsSet claims) throws TokenException {
    try {
      UUID user = UUID.fromString(claims.getSubject());
      UUID session = UUID.fromString(claims.getStringClaim("sid"));
      List<String> roles = claims.getStringListClaim("roles");
      return new Caller(user, roles == null ? Set.of() : new HashSet<>(roles), session);
    } catch (java.text.ParseException | IllegalArgumentException | NullPointerException e) {
      throw new TokenException(TokenException.Kind.INVALID, "the token's claims are not valid");
    }
  }

  /** Stops fetching keys. */
  public void close() {
    if (keys instanceof java.io.Closeable c) {
      try {
        c.close();
      } catch (java.io.IOException e) {
        // nothing to do: it only stops a background refresh
      }
    }
  }
}
