package dev.shopmesh.user;

import dev.shopmesh.platform.Protos;
import dev.shopmesh.platform.auth.Caller;
import dev.shopmesh.platform.error.FieldViolations;
import dev.shopmesh.platform.grpc.ClientAddress;
import dev.shopmesh.user.v1.CreateSessionRequest;
import dev.shopmesh.user.v1.RefreshSessionRequest;
import dev.shopmesh.user.v1.RevokeSessionRequest;
import dev.shopmesh.user.v1.RevokeSessionResponse;
import dev.shopmesh.user.v1.Session;
import dev.shopmesh.user.v1.SessionServiceGrpc;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Sign-in, refresh and sign-out. A wrong password and an unknown email take the same path (an
 * Argon2id check against a stand-in hash when there is no user) and give the same
 * UNAUTHENTICATED answer. Refresh tokens are 256 random bits, base64url, good once: each refresh
 * spends the one given and returns the next; presenting a spent one ends the session.
 */
final class SessionApi extends SessionServiceGrpc.SessionServiceImplBase {
  static final Duration REFRESH_LIFETIME = Duration.ofDays(14);
  static final String WRONG_CREDENTIALS = "wrong email or password";
  private static final int REFRESH_TOKEN_CHARS = 43; // 32 bytes, base64url without padding

  private final UserStore users;
  private final SessionStore sessions;
  private final Passwords passwords;
  private final SignInThrottle throttle;
  private final Optional<AccessTokens> tokens;
  private final SecureRandom random = new SecureRandom();

  /** {@code tokens} is empty when user-svc has no signing keys: then nobody can sign in. */
  SessionApi(
      UserStore users, SessionStore sessions, Passwords passwords, SignInThrottle throttle, Optional<AccessTokens> tokens) {
    this.users = users;
    this.sessions = sessions;
    this.passwords = passwords;
    this.throttle = throttle;
    this.tokens = tokens;
  }

  private AccessTokens signer() {
    return tokens.orElseThrow(
        () -> UserApi.ERRORS.unavailable(
            "SIGN_IN_NOT_CONFIGURED", "sign-in is not available: user-svc has no signing keys (SIGNING_KEYS_DIR)"));
  }

  @Override
  public void createSession(CreateSessionRequest request, StreamObserver<Session> response) {
    signer();
    var violations = new FieldViolations();
    violations.check(!request.getEmail().isEmpty(), "email", "is required");
    violations.check(request.getEmail().length() <= NewUser.MAX_EMAIL, "email", "must be at most " + NewUser.MAX_EMAIL + " characters");
    violations.check(!request.getPassword().isEmpty(), "password", "is required");
    violations.check(
        request.getPassword().length() <= 4 * Passwords.MAX_LENGTH,
        "password",
        "must be at most " + Passwords.MAX_LENGTH + " characters");
    violations.throwIfAny(UserApi.ERRORS);

    // The same normal form as sign-up stores (NFC, lower case), so "Ada@…" signs in as "ada@…".
    String email = NewUser.normaliseEmail(request.getEmail());
    String address = ClientAddress.current();
    Optional<Duration> blocked = throttle.blocked(email, address);
    if (blocked.isPresent()) {
      throw UserApi.ERRORS.resourceExhausted(
          "TOO_MANY_SIGN_IN_FAILURES", "too many failed sign-ins; try again later", blocked.get());
    }
    Optional<UserStore.Login> login = users.login(email);
    boolean ok;
    try {
      ok = passwords.matches(request.getPassword(), login.map(UserStore.Login::passwordHash).orElse(null));
    } catch (Passwords.Busy busy) {
      throw UserApi.busy();
    }
    if (!ok) {
      throttle.failed(email, address);
      throw UserApi.ERRORS.unauthenticated("INVALID_CREDENTIALS", WRONG_CREDENTIALS);
    }
    throttle.succeeded(email);
    UserRow user = login.orElseThrow().user();
    UUID sessionId = UUID.randomUUID();
    String refresh = newRefreshToken();
    Instant refreshExpires = Instant.now().plus(REFRESH_LIFETIME);
    sessions.create(sessionId, user.userId(), hash(refresh), refreshExpires);
    response.onNext(session(sessionId, user.userId(), user.roles(), refresh, refreshExpires));
    response.onCompleted();
  }

  @Override
  public void refreshSession(RefreshSessionRequest request, StreamObserver<Session> response) {
    signer();
    var violations = new FieldViolations();
    violations.check(!request.getRefreshToken().isEmpty(), "refresh_token", "is required");
    violations.throwIfAny(UserApi.ERRORS);

    String given = request.getRefreshToken();
    if (!wellFormed(given)) {
      throw invalidRefreshToken();
    }
    String next = newRefreshToken();
    Instant nextExpires = Instant.now().plus(REFRESH_LIFETIME);
    SessionStore.Refresh result = sessions.rotate(hash(given), hash(next), nextExpires);
    if (!(result instanceof SessionStore.Refresh.Rotated rotated)) {
      throw invalidRefreshToken();
    }
    response.onNext(session(rotated.sessionId(), rotated.userId(), rotated.roles(), next, nextExpires));
    response.onCompleted();
  }

  @Override
  public void revokeSession(RevokeSessionRequest request, StreamObserver<RevokeSessionResponse> response) {
    Caller caller = Caller.require();
    sessions.revoke(caller.sessionId(), caller.userId()); // already ended: the same answer
    response.onNext(RevokeSessionResponse.getDefaultInstance());
    response.onCompleted();
  }

  private Session session(UUID sessionId, UUID userId, List<String> roles, String refresh, Instant refreshExpires) {
    AccessTokens.Issued access = signer().issue(userId, roles, sessionId);
    return Session.newBuilder()
        .setSessionId(sessionId.toString())
        .setUserId(userId.toString())
        .addAllRoles(roles)
        .setAccessToken(access.token())
        .setAccessTokenExpireTime(Protos.timestamp(access.expireTime()))
        .setRefreshToken(refresh)
        .setRefreshTokenExpireTime(Protos.timestamp(refreshExpires))
        .build();
  }

  private static io.grpc.StatusRuntimeException invalidRefreshToken() {
    return UserApi.ERRORS.unauthenticated(
        "INVALID_REFRESH_TOKEN", "the refresh token is not valid (unknown, expired, already used, or signed out)");
  }

  private String newRefreshToken() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static boolean wellFormed(String token) {
    if (token.length() != REFRESH_TOKEN_CHARS) {
      return false;
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (!(Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_')) {
        return false;
      }
    }
    return true;
  }

  static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
