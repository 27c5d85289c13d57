package dev.shopmesh.edge;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;

/**
 * Proto3 JSON out, exactly as Envoy's transcoder prints it with
 * {@code print_options {always_print_primitive_fields: true}}: lowerCamelCase names, int64 as
 * strings, enums by name, fields without presence printed even at their default, no
 * whitespace. Errors are {@code google.rpc.Status} ({@code convert_grpc_status: true}) with the
 * HTTP status of the gRPC→HTTP table that Envoy, grpc-gateway and Armeria share.
 */
final class JsonPrinting {
  private final JsonFormat.Printer printer;
  private final JsonFormat.Printer withoutDetails;

  JsonPrinting(TypeRegistry types) {
    this.printer =
        JsonFormat.printer()
            .usingTypeRegistry(types)
            .alwaysPrintFieldsWithNoPresence()
            .omittingInsignificantWhitespace();
    this.withoutDetails = JsonFormat.printer().alwaysPrintFieldsWithNoPresence().omittingInsignificantWhitespace();
  }

  String print(MessageOrBuilder message) throws InvalidProtocolBufferException {
    return printer.print(message);
  }

  /**
   * A backend's status as JSON: the {@code grpc-status-details-bin} Status when there is one,
   * else code and message. Details whose type the descriptor set lacks cannot be printed; then
   * the status goes out without them (Envoy would send an empty body).
   */
  String status(Status status, Metadata trailers) {
    com.google.rpc.Status proto;
    try {
      proto = StatusProto.fromStatusAndTrailers(status, trailers == null ? new Metadata() : trailers);
    } catch (IllegalArgumentException detailsDisagree) {
      proto = null;
    }
    if (proto == null) {
      proto =
          com.google.rpc.Status.newBuilder()
              .setCode(status.getCode().value())
              .setMessage(status.getDescription() == null ? "" : status.getDescription())
              .build();
    }
    return status(proto);
  }

  String status(com.google.rpc.Status status) {
    try {
      return printer.print(status);
    } catch (InvalidProtocolBufferException e) {
      try {
        return withoutDetails.print(status.toBuilder().clearDetails());
      } catch (InvalidProtocolBufferException impossible) {
        throw new IllegalStateException(impossible);
      }
    }
  }

  /** The HTTP status for a gRPC code (Envoy's {@code Grpc::Utility::grpcToHttpStatus}). */
  static int httpStatus(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case CANCELLED -> 499;
      case UNKNOWN, INTERNAL, DATA_LOSS -> 500;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
      case DEADLINE_EXCEEDED -> 504;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case PERMISSION_DENIED -> 403;
      case RESOURCE_EXHAUSTED -> 429;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case UNAUTHENTICATED -> 401;
    };
  }
}
