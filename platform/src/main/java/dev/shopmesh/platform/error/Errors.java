package dev.shopmesh.platform.error;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Map;

/**
 * Builds the errors a service returns, following AIP-193: a canonical code, a message for
 * people, one {@link ErrorInfo} with an UPPER_SNAKE reason and the service's domain, and
 * {@link BadRequest} field violations for invalid input.
 *
 * <p>Services throw what these methods return; {@link ErrorMapping} sends it to the client.
 */
public final class Errors {
  private final String domain;

  /** @param domain the service's error domain, for example {@code user.shopmesh.dev} */
  public Errors(String domain) {
    this.domain = domain;
  }

  public String domain() {
    return domain;
  }

  public StatusRuntimeException invalidArgument(FieldViolations violations) {
    return invalidArgument("INVALID_ARGUMENT", violations);
  }

  public StatusRuntimeException invalidArgument(String reason, FieldViolations violations) {
    var badRequest = BadRequest.newBuilder().addAllFieldViolations(violations.list()).build();
    return build(Code.INVALID_ARGUMENT, reason, violations.message(), Map.of(), badRequest);
  }

  /**
   * NOT_FOUND for a {@code resource} ("order") by its {@code id}: reason {@code ORDER_NOT_FOUND},
   * message "order … not found", metadata {@code order_id}.
   */
  public StatusRuntimeException notFound(String resource, String id) {
    return notFound(
        resource.toUpperCase(java.util.Locale.ROOT) + "_NOT_FOUND",
        resource + " " + id + " not found",
        Map.of(resource + "_id", id));
  }

  /**
   * What a caller gets for a {@code resource} they may not see (AIP-211): an admin, who may see
   * everything, learns it does not exist (NOT_FOUND); anyone else gets PERMISSION_DENIED,
   * {@code <RESOURCE>_NOT_ACCESSIBLE}, worded the same whether it is someone else's or missing.
   */
  public StatusRuntimeException notVisible(String resource, String id, boolean admin) {
    return admin
        ? notFound(resource, id)
        : permissionDenied(
            resource.toUpperCase(java.util.Locale.ROOT) + "_NOT_ACCESSIBLE",
            "permission denied on " + resource + " " + id + " (or it does not exist)",
            Map.of(resource + "_id", id));
  }

  public StatusRuntimeException notFound(String reason, String message, Map<String, String> meta) {
    return build(Code.NOT_FOUND, reason, message, meta, null);
  }

  public StatusRuntimeException alreadyExists(
      String reason, String message, Map<String, String> meta) {
    return build(Code.ALREADY_EXISTS, reason, message, meta, null);
  }

  public StatusRuntimeException failedPrecondition(
      String reason, String message, Map<String, String> meta) {
    return build(Code.FAILED_PRECONDITION, reason, message, meta, null);
  }

  public StatusRuntimeException unauthenticated(String reason, String message) {
    return build(Code.UNAUTHENTICATED, reason, message, Map.of(), null);
  }

  /** PERMISSION_DENIED: not allowed, or (AIP-211) not there; the two read alike. */
  public StatusRuntimeException permissionDenied(
      String reason, String message, Map<String, String> meta) {
    return build(Code.PERMISSION_DENIED, reason, message, meta, null);
  }

  /**
   * RESOURCE_EXHAUSTED with a {@link RetryInfo} saying when to try again (whole seconds, at
   * least one), which the edges send as HTTP 429 with {@code Retry-After}.
   */
  public StatusRuntimeException resourceExhausted(String reason, String message, java.time.Duration retryAfter) {
    long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    var retry =
        RetryInfo.newBuilder()
            .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(seconds))
            .build();
    return build(Code.RESOURCE_EXHAUSTED, reason, message, Map.of(), retry);
  }

  public StatusRuntimeException unavailable(String reason, String message) {
    return build(Code.UNAVAILABLE, reason, message, Map.of(), null);
  }

  public StatusRuntimeException deadlineExceeded(String reason, String message) {
    return build(Code.DEADLINE_EXCEEDED, reason, message, Map.of(), null);
  }

  private StatusRuntimeException build(
      Code code,
      String reason,
      String message,
      Map<String, String> meta,
      com.google.protobuf.Message detail) {
    var info = ErrorInfo.newBuilder().setReason(reason).setDomain(domain).putAllMetadata(meta);
    var status =
        com.google.rpc.Status.newBuilder()
            .setCode(code.getNumber())
            .setMessage(message)
            .addDetails(Any.pack(info.build()));
    if (detail != null) {
      status.addDetails(Any.pack(detail));
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }
}
