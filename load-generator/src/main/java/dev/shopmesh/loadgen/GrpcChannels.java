package dev.shopmesh.loadgen;

import dev.shopmesh.platform.grpc.Channels;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A few gRPC channels to one target, used in turn; the ceiling and every gRPC scenario get theirs
 * from here, so they share one set of client settings.
 *
 * <p><b>Why several.</b> A channel to one address is one HTTP/2 connection, and all of a
 * connection's frames are read and written by one Netty event loop thread at each end. With one
 * connection, the client's and the server's I/O for every call runs on one thread each, however
 * many cores there are; and the server's limit on concurrent streams per connection caps the
 * calls in flight. Two connections (the default) let both cores of a small machine do I/O on
 * each side; more only add contexts to switch.
 *
 * <p><b>Settings.</b> A target is {@code host:port} or a list {@code h1:p1,h2:p2} (every replica,
 * resolved by platform's static resolver), balanced round_robin within each channel.
 * Plaintext, Netty over NIO on the generator's shared event loop group,
 * callbacks run directly on the event loop ({@code directExecutor}: the generator's callbacks
 * only record a number and wake a caller, so a thread hop would be pure overhead), no retries
 * (a retried call would hide a failure and double-count load), no service config.
 */
final class GrpcChannels implements AutoCloseable {
  private final String target;
  private final ManagedChannel[] channels;
  private final AtomicInteger next = new AtomicInteger();

  private GrpcChannels(String target, ManagedChannel[] channels) {
    this.target = target;
    this.channels = channels;
  }

  static GrpcChannels open(String target, int count, EventLoopGroup loops) {
    ManagedChannel[] channels = new ManagedChannel[count];
    for (int i = 0; i < count; i++) {
      channels[i] =
          NettyChannelBuilder.forTarget(target.contains(",") ? "static:///" + target : target)
              .eventLoopGroup(loops)
              .channelType(NioSocketChannel.class)
              .usePlaintext()
              .directExecutor()
              .disableRetry()
              .disableServiceConfigLookUp()
              .defaultLoadBalancingPolicy("round_robin")
              .build();
      channels[i].getState(true); // connect now, not on the first timed call
    }
    return new GrpcChannels(target, channels);
  }

  String target() {
    return target;
  }

  int size() {
    return channels.length;
  }

  Channel get(int i) {
    return channels[i];
  }

  /** The channels in turn. */
  int nextIndex() {
    return Math.floorMod(next.getAndIncrement(), channels.length);
  }

  @Override
  public void close() {
    Channels.close(List.of(channels));
  }
}
