package dev.shopmesh.platform.auth;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import dev.shopmesh.access.v1.Level;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Locale;
import java.util.Optional;

/**
 * The access check of every call, from the method's rule in the contracts ({@link AccessRules}):
 *
 * <ul>
 *   <li>{@code PUBLIC}: passes, token or not (no caller is set);
 *   <li>{@code SIGNED_IN}: needs {@code authorization: Bearer <access token>} that
 *       {@link TokenVerifier} accepts; the {@link Caller} goes into the call's {@link Context};
 *   <li>{@code ADMIN}: the same, and the caller must have the role {@code admin};
 *   <li>{@code INTERNAL}: passes untouched; the mutual-TLS interceptor of
 *       {@code dev.shopmesh.platform.tls} decides who the peer is;
 *   <li>no rule ({@code LEVEL_UNSPECIFIED}): denied.
 * </ul>
 *
 * No token: UNAUTHENTICATED ({@code MISSING_TOKEN}); a token that does not verify:
 * UNAUTHENTICATED ({@code INVALID_TOKEN}); keys that cannot be fetched: UNAVAILABLE
 * ({@code KEYS_UNAVAILABLE}, fail closed); the wrong role: PERMISSION_DENIED. Each carries one
 * {@code google.rpc.ErrorInfo} of domain {@value #DOMAIN}. Identity headers other than
 * {@code authorization} are never read.
 */
public final class AuthInterceptor implements ServerInterceptor {
  public static final String DOMAIN = "auth.shopmesh.dev";
  public static final String MISSING_TOKEN = "MISSING_TOKEN";
  public static final String INVALID_TOKEN = "INVALID_TOKEN";
  public static final String KEYS_UNAVAILABLE = "KEYS_UNAVAILABLE";

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  /** The verified bearer token of the call, for calls made on the caller's behalf. */
  static final Context.Key<String> TOKEN = Context.key("shopmesh-bearer-token");

  private final AccessRules rules;
  private final TokenVerifier verifier;

  public AuthInterceptor(AccessRules rules, TokenVerifier verifier) {
    this.rules = rules;
    this.verifier = verifier;
  }

  public AccessRules rules() {
    return rules;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Level level = rules.level(call.getMethodDescriptor().getFullMethodName());
    if (level == Level.PUBLIC || level == Level.INTERNAL) {
      return next.startCall(call, headers);
    }
    Optional<String> token = bearer(headers.get(AUTHORIZATION));
    if (token.isEmpty()) {
      return refuse(call, unauthenticatedException(headers.get(AUTHORIZATION) == null
          ? "this method needs a signed-in caller: send authorization: Bearer <access token>"
          : "the authorization header must be: Bearer <access token>", headers.get(AUTHORIZATION) != null));
    }
    Caller caller;
    try {
      caller = verifier.verify(token.get());
    } catch (TokenException e) {
      return refuse(
          call,
          e.kind() == TokenException.Kind.KEYS_UNAVAILABLE
              ? error(Code.UNAVAILABLE, KEYS_UNAVAILABLE, "cannot verify access tokens now (signing keys unavailable); retry later")
              : unauthenticatedException("invalid access token: " + e.getMessage(), true));
    }
    if (level == Level.ADMIN && !caller.isAdmin()) {
      return refuse(call, permissionDenied("ADMIN_ONLY", "only an admin may call this method"));
    }
    if (level != Level.SIGNED_IN && level != Level.ADMIN) {
      return refuse(call, permissionDenied("NO_ACCESS_RULE", "this method has no access rule: nobody may call it"));
    }
    Context context = caller.inContext(Context.current()).withValue(TOKEN, token.get());
    return Contexts.interceptCall(context, call, headers, next);
  }

  /** The token of an {@code authorization: Bearer <token>} value (scheme case-insensitive). */
  public static Optional<String> bearer(String authorization) {
    if (authorization == null || authorization.length() < 8
        || !authorization.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
      return Optional.empty();
    }
    String token = authorization.substring(7).trim();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, StatusRuntimeException e) {
    call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
    return new ServerCall.Listener<>() {};
  }

  static StatusRuntimeException unauthenticatedException(String message, boolean invalid) {
    return error(Code.UNAUTHENTICATED, invalid ? INVALID_TOKEN : MISSING_TOKEN, message);
  }

  /** PERMISSION_DENIED with an ErrorInfo of this domain. */
  public static StatusRuntimeException permissionDenied(String reason, String message) {
    return error(Code.PERMISSION_DENIED, reason, message);
  }

  private static StatusRuntimeException error(Code code, String reason, String message) {
    return StatusProto.toStatusRuntimeException(
        com.google.rpc.Status.newBuilder()
            .setCode(code.getNumber())
            .setMessage(message)
            .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(reason).setDomain(DOMAIN).build()))
            .build());
  }
}
