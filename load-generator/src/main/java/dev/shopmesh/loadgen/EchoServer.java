package dev.shopmesh.loadgen;

import com.google.protobuf.Empty;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The ceiling's server: one unary method that answers an empty message with an empty message,
 * on Netty over loopback, started inside the generator. Its handler runs on the event loop
 * ({@code directExecutor}) and does nothing else: what a gRPC call costs on this machine, with
 * no thread hop, no database and no business code. The mesh's services run each call on a
 * virtual thread, which is part of what the ratios to this ceiling show.
 */
final class EchoServer implements AutoCloseable {
  static final String SERVICE = "shopmesh.bench.v1.Echo";

  static final MethodDescriptor<Empty, Empty> CALL =
      MethodDescriptor.<Empty, Empty>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Call"))
          .setRequestMarshaller(ProtoUtils.marshaller(Empty.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(Empty.getDefaultInstance()))
          .setIdempotent(true)
          .build();

  private final Server server;

  private EchoServer(Server server) {
    this.server = server;
  }

  static EchoServer start() {
    ServerServiceDefinition echo =
        ServerServiceDefinition.builder(SERVICE)
            .addMethod(
                CALL,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      response.onNext(Empty.getDefaultInstance());
                      response.onCompleted();
                    }))
            .build();
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .directExecutor()
            .addService(echo)
            .build();
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("the echo server did not start", e);
    }
    return new EchoServer(server);
  }

  /** {@code host:port} to dial. */
  String target() {
    return InetAddress.getLoopbackAddress().getHostAddress() + ":" + server.getPort();
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
  }
}
