package dev.shopmesh.loadgen;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URI;
import java.time.Duration;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The REST client: HTTP/1.1 with keep-alive on Netty, a pool of connections that each carry one
 * request at a time, as wrk does. A closed loop of N callers uses N connections; an open loop
 * uses as many as it has requests in flight.
 *
 * <p><b>Why Netty and not {@code java.net.http.HttpClient}.</b> On two cores the generator's own
 * cost per request comes straight out of what the mesh gets. The JDK client runs each exchange
 * through a chain of CompletableFuture stages and its own selector thread; this one is a codec
 * and one handler on the event loops that the gRPC channels already use, so REST and gRPC
 * scenarios pay the same, small, client overhead on the same threads.
 */
final class RestClient implements AutoCloseable {
  private static final int MAX_RESPONSE_BYTES = 1 << 20;

  private final Bootstrap bootstrap;
  private final String host;
  private final int port;
  private final String hostHeader;
  private final long timeoutNanos;
  private final Deque<HttpConnection> idle = new ConcurrentLinkedDeque<>();
  private final Set<Channel> open = ConcurrentHashMap.newKeySet();

  RestClient(URI base, EventLoopGroup loops, Duration timeout) {
    this.host = base.getHost();
    this.port = base.getPort() == -1 ? 80 : base.getPort();
    this.hostHeader = base.getPort() == -1 ? host : host + ":" + port;
    this.timeoutNanos = timeout.toNanos();
    this.bootstrap =
        new Bootstrap()
            .group(loops)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), 10_000))
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    HttpConnection connection = new HttpConnection();
                    connection.bind(ch);
                    ch.pipeline()
                        .addLast(new HttpClientCodec())
                        .addLast(new HttpObjectAggregator(MAX_RESPONSE_BYTES))
                        .addLast(connection);
                  }
                });
  }

  CompletableFuture<HttpReply> get(String pathAndQuery) {
    return exchange(request(HttpMethod.GET, pathAndQuery, Unpooled.EMPTY_BUFFER));
  }

  /** A GET sent with {@code authorization: <authorization>}. */
  CompletableFuture<HttpReply> get(String pathAndQuery, String authorization) {
    FullHttpRequest request = request(HttpMethod.GET, pathAndQuery, Unpooled.EMPTY_BUFFER);
    request.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
    return exchange(request);
  }

  CompletableFuture<HttpReply> post(String pathAndQuery, byte[] json) {
    FullHttpRequest request = request(HttpMethod.POST, pathAndQuery, Unpooled.wrappedBuffer(json));
    request.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    return exchange(request);
  }

  /** A POST sent with {@code authorization: <authorization>}. */
  CompletableFuture<HttpReply> post(String pathAndQuery, byte[] json, String authorization) {
    FullHttpRequest request = request(HttpMethod.POST, pathAndQuery, Unpooled.wrappedBuffer(json));
    request.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    request.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
    return exchange(request);
  }

  private FullHttpRequest request(HttpMethod method, String pathAndQuery, ByteBuf body) {
    FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, pathAndQuery, body);
    request
        .headers()
        .set(HttpHeaderNames.HOST, hostHeader)
        .set(HttpHeaderNames.ACCEPT, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    return request;
  }

  private CompletableFuture<HttpReply> exchange(FullHttpRequest request) {
    HttpConnection connection;
    while ((connection = idle.pollFirst()) != null) {
      if (connection.isOpen()) {
        return exchangeOn(connection, request);
      }
    }
    CompletableFuture<HttpReply> reply = new CompletableFuture<>();
    ChannelFuture connecting = bootstrap.connect(host, port);
    connecting.addListener(
        done -> {
          if (!done.isSuccess()) {
            request.release();
            reply.completeExceptionally(done.cause());
            return;
          }
          Channel ch = connecting.channel();
          open.add(ch);
          ch.closeFuture().addListener(closed -> open.remove(ch));
          HttpConnection fresh = ch.pipeline().get(HttpConnection.class);
          exchangeOn(fresh, request)
              .whenComplete(
                  (r, e) -> {
                    if (e != null) {
                      reply.completeExceptionally(e);
                    } else {
                      reply.complete(r);
                    }
                  });
        });
    return reply;
  }

  private CompletableFuture<HttpReply> exchangeOn(HttpConnection connection, FullHttpRequest request) {
    // The connection goes back to the pool before the caller hears the answer, so that a closed
    // loop's caller finds it free for its next request.
    return connection
        .exchange(request, timeoutNanos)
        .whenComplete(
            (r, e) -> {
              if (connection.isOpen()) {
                idle.offerFirst(connection);
              }
            });
  }

  @Override
  public void close() {
    idle.clear();
    for (Channel ch : open) {
      ch.close().awaitUninterruptibly(1000);
    }
  }
}
