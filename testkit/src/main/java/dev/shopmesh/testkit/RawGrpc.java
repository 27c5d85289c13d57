package dev.shopmesh.testkit;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Calls with bytes of the test's choosing as the request messages, over a real channel: what a
 * broken or hostile client puts on the wire, which a generated stub never would.
 */
public final class RawGrpc {
  private RawGrpc() {}

  private static final MethodDescriptor.Marshaller<byte[]> RAW =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  /** Sends each hex string as one message on {@code fullMethod}, half-closes, returns the status. */
  public static Status call(Channel channel, String fullMethod, String... hexMessages) {
    var method =
        MethodDescriptor.newBuilder(RAW, RAW)
            // The server goes by its own method type; a streaming one here lets us send any count.
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName(fullMethod)
            .build();
    ClientCall<byte[], byte[]> call =
        channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            closed.complete(status);
          }
        },
        new Metadata());
    call.request(2);
    for (String hex : hexMessages) {
      call.sendMessage(HexFormat.of().parseHex(hex));
    }
    call.halfClose();
    try {
      return closed.get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("no answer from " + fullMethod, e);
    }
  }
}
