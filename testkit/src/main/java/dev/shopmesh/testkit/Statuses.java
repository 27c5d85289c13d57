package dev.shopmesh.testkit;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.List;
import java.util.Optional;

/** What a client reads from a failed call: its code, ErrorInfo and BadRequest details. */
public final class Statuses {
  private Statuses() {}

  public static Status.Code code(Throwable e) {
    return Status.fromThrowable(e).getCode();
  }

  public static String description(Throwable e) {
    return String.valueOf(Status.fromThrowable(e).getDescription());
  }

  public static Optional<ErrorInfo> info(Throwable e) {
    return detail(e, ErrorInfo.class);
  }

  public static Optional<BadRequest> badRequest(Throwable e) {
    return detail(e, BadRequest.class);
  }

  /** The fields the BadRequest names, in order. */
  public static List<String> fields(Throwable e) {
    return badRequest(e).map(b -> b.getFieldViolationsList().stream().map(v -> v.getField()).toList())
        .orElse(List.of());
  }

  public static <T extends Message> Optional<T> detail(Throwable e, Class<T> type) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status == null) {
      return Optional.empty();
    }
    for (Any any : status.getDetailsList()) {
      if (any.is(type)) {
        try {
          return Optional.of(any.unpack(type));
        } catch (InvalidProtocolBufferException ex) {
          throw new IllegalStateException(ex);
        }
      }
    }
    return Optional.empty();
  }
}
