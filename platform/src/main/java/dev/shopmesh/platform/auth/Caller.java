package dev.shopmesh.platform.auth;

import io.grpc.Context;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The signed-in user a call is made for (Istio's "origin"), as proven by a verified access
 * token: its {@code sub}, {@code roles} and {@code sid} claims. {@link AuthInterceptor} puts it
 * in the call's gRPC {@link Context}; service code reads it with {@link #current()}.
 *
 * @param userId the token's subject, the user's id
 * @param roles the user's roles ({@value #CUSTOMER}, {@value #ADMIN})
 * @param sessionId the session the token belongs to
 */
public record Caller(UUID userId, Set<String> roles, UUID sessionId) {
  public static final String CUSTOMER = "customer";
  public static final String ADMIN = "admin";

  static final Context.Key<Caller> KEY = Context.key("shopmesh-caller");

  public Caller {
    roles = Set.copyOf(roles);
  }

  /** The caller of the current call; empty for anonymous calls (public methods). */
  public static Optional<Caller> current() {
    return Optional.ofNullable(KEY.get());
  }

  /** The caller of the current call, which a non-public method always has. */
  public static Caller require() {
    return current()
        .orElseThrow(() -> AuthInterceptor.unauthenticatedException("this method needs a signed-in caller", false));
  }

  public boolean isAdmin() {
    return roles.contains(ADMIN);
  }

  /** The current context with {@code caller} as its caller (for work started on its behalf). */
  public Context inContext(Context context) {
    return context.withValue(KEY, this);
  }
}
