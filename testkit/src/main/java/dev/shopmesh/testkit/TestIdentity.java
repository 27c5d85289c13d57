package dev.shopmesh.testkit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.shopmesh.platform.auth.AuthSettings;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A test's identity provider, for real: EC P-256 signing keys written as PKCS#8 PEM into a key
 * directory (hand it to user-svc as {@code SIGNING_KEYS_DIR}), a JWKS of them served over HTTP on
 * a free port (hand it to every service and the edge as {@code JWKS_URL}), and tokens minted
 * exactly as user-svc mints them, for any user id and roles, or bent on purpose (wrong issuer,
 * expired, another key...).
 *
 * <p>{@link #shared()} is the one {@link TestEnv} gives every service of a test JVM, with a
 * bootstrap admin ({@link #ADMIN_EMAIL} / {@link #ADMIN_PASSWORD}). Tests that rotate keys or
 * take the JWKS down make their own with {@link #create()}.
 */
public final class TestIdentity implements AutoCloseable {
  public static final String ISSUER = AuthSettings.DEFAULT_ISSUER;
  public static final String ADMIN_EMAIL = "admin@shopmesh.test";
  public static final String ADMIN_PASSWORD = "admin-" + UUID.randomUUID();
  /** The password {@link TestUsers} signs every test user up with. */
  public static final String PASSWORD = "correct horse battery staple";

  private static TestIdentity shared;

  private final Path keysDir;
  private final List<ECKey> published = new ArrayList<>();
  private volatile ECKey signing;
  private volatile boolean serving = true;
  private final AtomicInteger jwksRequests = new AtomicInteger();
  private final HttpServer server;

  private TestIdentity() {
    try {
      keysDir = Files.createTempDirectory("shopmesh-keys", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    signing = addKey(true);
    server.setExecutor(Executors.newFixedThreadPool(2, Thread.ofPlatform().daemon().name("test-jwks-", 0).factory()));
    server.createContext("/.well-known/jwks.json", exchange -> {
      try (exchange) {
        jwksRequests.incrementAndGet();
        if (!serving) {
          exchange.sendResponseHeaders(503, -1);
          return;
        }
        byte[] body = jwks().toString(true).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    });
    server.start();
  }

  /** The identity every service of this test JVM trusts (through {@link TestEnv}). */
  public static synchronized TestIdentity shared() {
    if (shared == null) {
      shared = new TestIdentity();
    }
    return shared;
  }

  /** An identity of its own, for tests that rotate keys or break the JWKS. */
  public static TestIdentity create() {
    return new TestIdentity();
  }

  public String jwksUrl() {
    return "http://localhost:" + server.getAddress().getPort() + "/.well-known/jwks.json";
  }

  public Path keysDir() {
    return keysDir;
  }

  /** JWKS_URL, JWT_ISSUER and SIGNING_KEYS_DIR, and the bootstrap admin, for a service. */
  public Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("JWKS_URL", jwksUrl());
    env.put("JWT_ISSUER", ISSUER);
    env.put("SIGNING_KEYS_DIR", keysDir.toString());
    env.put("BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL);
    env.put("BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
    return env;
  }

  /** Makes the JWKS answer 503 (false) or the keys again (true). */
  public void jwksAvailable(boolean available) {
    serving = available;
  }

  /** How many times the JWKS has been asked for. */
  public int jwksRequests() {
    return jwksRequests.get();
  }

  /** The key that signs. */
  public ECKey signingKey() {
    return signing;
  }

  /**
   * A new key, written to the key directory and published in the JWKS; {@code signs} makes it
   * the one that signs from now on (its file sorts last), otherwise it is pre-published
   * ({@code *.next.pem}).
   */
  public synchronized ECKey addKey(boolean signs) {
    ECKey key = newKey();
    String name = String.format("key-%03d%s.pem", published.size(), signs ? "" : ".next");
    writePem(keysDir.resolve(name), key);
    published.add(key);
    if (signs) {
      signing = key;
    }
    return key;
  }

  /** Stops publishing {@code key} (its tokens no longer verify once caches let go of it). */
  public synchronized void retire(ECKey key) {
    published.removeIf(k -> k.getKeyID().equals(key.getKeyID()));
  }

  /** The published keys, public halves. */
  public synchronized JWKSet jwks() {
    return new JWKSet(new ArrayList<JWK>(published)).toPublicJWKSet();
  }

  /** A fresh P-256 key that nobody publishes (for "signed by another key" cases). */
  public static ECKey newKey() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair pair = g.generateKeyPair();
      return new ECKey.Builder(Curve.P_256, (ECPublicKey) pair.getPublic())
          .privateKey((ECPrivateKey) pair.getPrivate())
          .keyUse(KeyUse.SIGNATURE)
          .algorithm(JWSAlgorithm.ES256)
          .keyIDFromThumbprint()
          .build();
    } catch (GeneralSecurityException | JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void writePem(Path file, ECKey key) {
    try {
      byte[] der = key.toECPrivateKey().getEncoded();
      String pem =
          "-----BEGIN PRIVATE KEY-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
              + "\n-----END PRIVATE KEY-----\n";
      Files.writeString(file, pem, StandardCharsets.US_ASCII);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A valid access token for {@code userId} with {@code roles}, as user-svc would issue it. */
  public String token(UUID userId, String... roles) {
    return token(c -> c.subject(userId.toString()).claim("roles", List.of(roles)), h -> {});
  }

  /**
   * A valid token of a fresh user id with the role admin, good for an hour (longer than
   * user-svc's ten minutes, so that a long test keeps one).
   */
  public String adminToken() {
    UUID admin = UUID.randomUUID();
    return token(
        c -> c.subject(admin.toString())
            .claim("roles", List.of("customer", "admin"))
            .expirationTime(Date.from(Instant.now().plus(Duration.ofHours(1)))),
        h -> {});
  }

  /**
   * A token with user-svc's claims and header, then {@code claims} and {@code header} applied
   * (to bend them), signed by the signing key.
   */
  public String token(Consumer<JWTClaimsSet.Builder> claims, Consumer<JWSHeader.Builder> header) {
    return token(signing, claims, header);
  }

  /** The same, signed by {@code key} (its kid in the header unless {@code header} changes it). */
  public String token(ECKey key, Consumer<JWTClaimsSet.Builder> claims, Consumer<JWSHeader.Builder> header) {
    Instant now = Instant.now();
    JWTClaimsSet.Builder c =
        new JWTClaimsSet.Builder()
            .issuer(ISSUER)
            .audience(AuthSettings.AUDIENCE)
            .subject(UUID.randomUUID().toString())
            .claim("roles", List.of("customer"))
            .claim("sid", UUID.randomUUID().toString())
            .jwtID(UUID.randomUUID().toString())
            .issueTime(Date.from(now))
            .notBeforeTime(Date.from(now))
            .expirationTime(Date.from(now.plus(Duration.ofMinutes(10))));
    claims.accept(c);
    JWSHeader.Builder h = new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("at+jwt")).keyID(key.getKeyID());
    header.accept(h);
    SignedJWT jwt = new SignedJWT(h.build(), c.build());
    try {
      jwt.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }

  /** Call credentials that send {@code authorization: Bearer <token>}. */
  public static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata md = new Metadata();
        md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        applier.apply(md);
      }
    };
  }

  /** A client interceptor that sends {@code authorization: Bearer <token>} (for a whole channel). */
  public static io.grpc.ClientInterceptor bearerInterceptor(String token) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(md);
  }

  /** {@code stub} calling as the holder of {@code token}. */
  public static <S extends AbstractStub<S>> S as(S stub, String token) {
    return stub.withCallCredentials(bearer(token));
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
