package dev.shopmesh.loadgen;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The generator's clients, one set per target, all on one Netty event loop group with one
 * thread per core: gRPC channels and REST connections share the same I/O threads, and the
 * generator adds no thread pools of its own for I/O.
 */
final class Clients implements AutoCloseable {
  private final EventLoopGroup loops;
  private final int grpcChannels;
  private final Duration timeout;
  private final Map<String, GrpcChannels> grpc = new LinkedHashMap<>();
  private final Map<URI, RestClient> rest = new LinkedHashMap<>();

  Clients(int grpcChannels, Duration timeout) {
    this.loops =
        new MultiThreadIoEventLoopGroup(
            Runtime.getRuntime().availableProcessors(),
            new DefaultThreadFactory("bench-io", true),
            NioIoHandler.newFactory());
    this.grpcChannels = grpcChannels;
    this.timeout = timeout;
  }

  /** The channels to {@code target}, opened on first use; this object closes them. */
  synchronized GrpcChannels grpc(String target) {
    return grpc.computeIfAbsent(target, t -> GrpcChannels.open(t, grpcChannels, loops));
  }

  /** New channels to {@code target}, with the same settings; the caller closes them. */
  GrpcChannels openGrpc(String target) {
    return GrpcChannels.open(target, grpcChannels, loops);
  }

  synchronized RestClient rest(URI base) {
    return rest.computeIfAbsent(base, b -> new RestClient(b, loops, timeout));
  }

  @Override
  public synchronized void close() {
    grpc.values().forEach(GrpcChannels::close);
    rest.values().forEach(RestClient::close);
    loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
