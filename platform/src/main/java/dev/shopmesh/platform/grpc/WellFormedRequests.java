package dev.shopmesh.platform.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Requests that are not a message of the method's request type are INVALID_ARGUMENT, with a
 * message that says what is wrong, and never reach the service.
 *
 * <p>grpc-java parses each request message inside {@code ServerCallImpl}, before any interceptor
 * or listener runs. When the parse throws (invalid UTF-8 in a proto3 {@code string}, a message
 * cut short, an invalid wire type, a malformed varint), the exception escapes to {@code
 * ServerImpl}, which closes the call as UNKNOWN "Application error processing RPC" (and
 * grpc-java's own unary handler answers two messages, or none, with INTERNAL). Here every
 * method's request marshaller is replaced by one that never throws: it hands on the parsed
 * message, or a {@link Malformed} marker with the parser's reason. The innermost listener (just
 * above the service's own handler, below every interceptor, so tracing and the call log see the
 * status) closes the call with INVALID_ARGUMENT when it sees the marker, and likewise when a
 * method that takes one request gets two, or none.
 */
final class WellFormedRequests {
  private WellFormedRequests() {}

  /** {@code service} with every method's requests checked as above. */
  static ServerServiceDefinition of(ServerServiceDefinition service) {
    ServiceDescriptor old = service.getServiceDescriptor();
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      methods.add(checked(method));
    }
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(old.getName()).setSchemaDescriptor(old.getSchemaDescriptor());
    methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(out::addMethod);
    return out.build();
  }

  /** What the lenient marshaller hands on in place of a message it could not parse. */
  record Malformed(String reason) {}

  private static <Q, R> ServerMethodDefinition<Q, R> checked(ServerMethodDefinition<Q, R> definition) {
    MethodDescriptor<Q, R> method = definition.getMethodDescriptor();
    String type = requestType(method);
    // grpc-java's ServerCallImpl cancels a call whose method takes one message when a second
    // arrives (RST_STREAM, which the client sees as CANCELLED). It goes by the descriptor's
    // type, so the type says "a stream of requests" and Handler counts them instead.
    MethodDescriptor.MethodType streamingRequests =
        method.getType().serverSendsOneMessage()
            ? MethodDescriptor.MethodType.CLIENT_STREAMING
            : MethodDescriptor.MethodType.BIDI_STREAMING;
    MethodDescriptor<Q, R> lenient =
        method.toBuilder(new Lenient<>(method.getRequestMarshaller(), type), method.getResponseMarshaller())
            .setType(streamingRequests)
            .build();
    return ServerMethodDefinition.create(
        lenient, new Handler<>(definition.getServerCallHandler(), method));
  }

  private static String requestType(MethodDescriptor<?, ?> method) {
    if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p
        && p.getMessagePrototype() instanceof Message m) {
      return m.getDescriptorForType().getFullName();
    }
    return "request";
  }

  /** Parses as the method's own marshaller does, and turns a failure into a {@link Malformed}. */
  private record Lenient<Q>(MethodDescriptor.Marshaller<Q> delegate, String type)
      implements MethodDescriptor.Marshaller<Q> {
    @Override
    public InputStream stream(Q value) {
      return delegate.stream(value);
    }

    @Override
    @SuppressWarnings("unchecked") // the marker travels as Q only as far as Handler, which removes it
    public Q parse(InputStream stream) {
      try {
        return delegate.parse(stream);
      } catch (RuntimeException e) {
        return (Q) new Malformed("the request is not a valid " + type + " message: " + reason(e));
      }
    }

    private static String reason(Throwable e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof InvalidProtocolBufferException) {
          return t.getMessage();
        }
      }
      return "it could not be parsed";
    }
  }

  private record Handler<Q, R>(ServerCallHandler<Q, R> next, MethodDescriptor<Q, R> method)
      implements ServerCallHandler<Q, R> {
    @Override
    public ServerCall.Listener<Q> startCall(ServerCall<Q, R> call, Metadata headers) {
      boolean oneMessage = method.getType().clientSendsOneMessage();
      // The service's own handler checks the method's type: it gets the original descriptor.
      ServerCall<Q, R> asDeclared =
          new SimpleForwardingServerCall<>(call) {
            @Override
            public MethodDescriptor<Q, R> getMethodDescriptor() {
              return method;
            }
          };
      return new SimpleForwardingServerCallListener<>(next.startCall(asDeclared, headers)) {
        private int messages;
        private boolean closed;

        @Override
        public void onMessage(Q message) {
          if (closed) {
            return;
          }
          if (message instanceof Malformed malformed) {
            reject(malformed.reason());
          } else if (oneMessage && ++messages > 1) {
            reject("this method takes exactly one request message, and got more");
          } else {
            super.onMessage(message);
          }
        }

        @Override
        public void onHalfClose() {
          if (closed) {
            return;
          }
          if (oneMessage && messages == 0) {
            reject("this method takes exactly one request message, and got none");
            return;
          }
          super.onHalfClose();
        }

        @Override
        public void onReady() {
          if (!closed) {
            super.onReady();
          }
        }

        private void reject(String reason) {
          closed = true;
          call.close(Status.INVALID_ARGUMENT.withDescription(reason), new Metadata());
        }
      };
    }
  }
}
