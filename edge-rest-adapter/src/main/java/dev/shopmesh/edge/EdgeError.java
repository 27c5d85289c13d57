package dev.shopmesh.edge;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.Status;
import java.util.Map;

/**
 * An error the edge answers by itself, before or instead of calling a backend. It becomes a
 * {@code google.rpc.Status} like a backend's error, with one {@link ErrorInfo} in the edge's
 * domain (AIP-193) and, for a bad parameter, a {@link BadRequest} naming it.
 */
public final class EdgeError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public static final String DOMAIN = "edge.shopmesh.dev";

  private final int httpStatus;
  private final transient Status status;
  private final Map<String, String> headers;

  private EdgeError(int httpStatus, Status status, Map<String, String> headers) {
    super(status.getMessage(), null, false, false);
    this.httpStatus = httpStatus;
    this.status = status;
    this.headers = Map.copyOf(headers);
  }

  private EdgeError(int httpStatus, Status status) {
    this(httpStatus, status, Map.of());
  }

  /** The same error with one more response header (such as {@code allow} on a 405). */
  public EdgeError withHeader(String name, String value) {
    var more = new java.util.HashMap<>(headers);
    more.put(name, value);
    return new EdgeError(httpStatus, status, more);
  }

  public Map<String, String> headers() {
    return headers;
  }

  public static EdgeError of(
      int httpStatus, Code code, String reason, String message, Map<String, String> metadata) {
    return new EdgeError(httpStatus, status(code, reason, message, metadata).build());
  }

  /** A 400 INVALID_ARGUMENT that names the offending field or parameter. */
  public static EdgeError badField(String reason, String field, String message) {
    var status = status(Code.INVALID_ARGUMENT, reason, message, Map.of());
    status.addDetails(
        Any.pack(
            BadRequest.newBuilder()
                .addFieldViolations(
                    BadRequest.FieldViolation.newBuilder()
                        .setField(field)
                        .setDescription(message)
                        .setReason(reason))
                .build()));
    return new EdgeError(400, status.build());
  }

  /** The challenge of every 401 (RFC 6750). */
  public static final String BEARER_CHALLENGE = "Bearer realm=\"shopmesh\"";

  /**
   * 401 UNAUTHENTICATED with {@code WWW-Authenticate: Bearer realm="shopmesh"}, plus
   * {@code error="invalid_token"} when a token was sent but is not good (RFC 6750 §3.1).
   */
  public static EdgeError unauthenticated(String message, boolean invalidToken) {
    EdgeError e =
        of(401, Code.UNAUTHENTICATED, invalidToken ? "INVALID_TOKEN" : "MISSING_TOKEN", message, Map.of());
    return e.withHeader(
        "www-authenticate", invalidToken ? BEARER_CHALLENGE + ", error=\"invalid_token\"" : BEARER_CHALLENGE);
  }

  public static EdgeError notFound(String method, String path) {
    return of(
        404,
        Code.NOT_FOUND,
        "ROUTE_NOT_FOUND",
        "no route for " + method + " " + path,
        Map.of("method", method, "path", path));
  }

  public static EdgeError tooLarge(long limit) {
    return of(
        413,
        Code.RESOURCE_EXHAUSTED,
        "REQUEST_BODY_TOO_LARGE",
        "the request body is larger than the edge accepts (" + limit + " bytes)",
        Map.of("limit_bytes", Long.toString(limit)));
  }

  private static Status.Builder status(
      Code code, String reason, String message, Map<String, String> metadata) {
    return Status.newBuilder()
        .setCode(code.getNumber())
        .setMessage(message)
        .addDetails(
            Any.pack(
                ErrorInfo.newBuilder()
                    .setReason(reason)
                    .setDomain(DOMAIN)
                    .putAllMetadata(metadata)
                    .build()));
  }

  public int httpStatus() {
    return httpStatus;
  }

  public Status status() {
    return status;
  }
}
