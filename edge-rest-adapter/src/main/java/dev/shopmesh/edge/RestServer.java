package dev.shopmesh.edge;

import com.google.rpc.Code;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The REST/JSON listener.
 *
 * <p><b>Why Netty.</b> It is already on the classpath (grpc-netty), so the edge adds no HTTP
 * stack of its own; its HTTP/1.1 codec and aggregator do all the parsing, keep-alive framing and
 * body limits (413) that matter here, on a handful of event-loop threads. Backend calls are
 * asynchronous gRPC calls, so no thread waits per request: an event loop parses, starts the
 * call and moves on; the response is written when the backend answers. The JDK's
 * {@code com.sun.net.httpserver} would have meant a thread per request and hand-written limits;
 * a servlet container or Armeria, a new dependency for what is a few handlers here.
 *
 * <p>HTTP/1.1 keep-alive and pipelining work: responses on one connection go out in request
 * order. Idle connections close after {@code EDGE_HTTP_IDLE_TIMEOUT}.
 *
 * <p><b>Shutdown.</b> {@link #stopAccepting()} closes the listening socket and idle connections;
 * connections with requests in flight get their answers with {@code connection: close}.
 * {@link #awaitDrained} waits for those, {@link #close} closes what is left.
 */
final class RestServer implements AutoCloseable {
  /** Requests a connection may have in flight before the edge stops reading from it. */
  static final int MAX_PIPELINED = 64;

  private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers =
      new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), NioIoHandler.newFactory());
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final RestGateway gateway;
  private volatile boolean draining;
  private final Channel listener;

  RestServer(int port, int maxBodyBytes, Duration idleTimeout, RestGateway gateway) {
    this.gateway = gateway;
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    connections.add(ch);
                    ch.pipeline()
                        .addLast(
                            new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS),
                            new HttpServerCodec(
                                new HttpDecoderConfig()
                                    .setMaxInitialLineLength(16 * 1024)
                                    .setMaxHeaderSize(60 * 1024)),
                            new BodyLimit(maxBodyBytes),
                            new RestHandler(RestServer.this));
                  }
                });
    try {
      this.listener = bootstrap.bind(new InetSocketAddress(port)).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      close();
      throw new UncheckedIOException(
          "edge: cannot listen for HTTP on port " + port, new java.io.IOException(e.getMessage(), e));
    }
  }

  int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  RestGateway gateway() {
    return gateway;
  }

  boolean draining() {
    return draining;
  }

  AtomicInteger inFlight() {
    return inFlight;
  }

  /** Stops taking connections; idle ones close now, busy ones after their last response. */
  void stopAccepting() {
    draining = true;
    listener.close().syncUninterruptibly();
    for (Channel c : connections) {
      c.eventLoop().execute(() -> {
        RestHandler handler = c.pipeline().get(RestHandler.class);
        if (handler != null) {
          handler.closeIfIdle(c);
        }
      });
    }
  }

  /** Waits until no request is in flight, up to {@code timeout}; true when none is left. */
  boolean awaitDrained(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return inFlight.get() == 0;
  }

  @Override
  public void close() {
    draining = true;
    if (listener != null) {
      listener.close().syncUninterruptibly();
    }
    connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  /** A request whose body is over the limit; the handler answers 413 in its turn. */
  record Oversized(boolean keepAlive) {}

  /**
   * Netty's aggregator, with the 413 written by the {@link RestHandler} (in order, as JSON)
   * instead of Netty's empty one. As in Netty: a body announced by {@code content-length} is
   * read and dropped so the connection stays usable; a chunked one closes the connection.
   */
  private static final class BodyLimit extends HttpObjectAggregator {
    private final int max;

    BodyLimit(int max) {
      super(max, true);
      this.max = max;
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
      Object response = super.newContinueResponse(start, maxContentLength, pipeline);
      if (response instanceof FullHttpResponse r && r.status().codeClass() == HttpStatusClass.CLIENT_ERROR) {
        // Netty's 413 or 417 (an Expect other than 100-continue), as JSON; the connection closes.
        EdgeError error =
            r.status().code() == 413
                ? EdgeError.tooLarge(max)
                : EdgeError.of(417, Code.INVALID_ARGUMENT, "EXPECTATION_FAILED", "only Expect: 100-continue is supported", Map.of());
        r.release();
        RestGateway.Response json = pipeline.get(RestHandler.class).server().gateway().error(error);
        FullHttpResponse out =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(json.status()), Unpooled.wrappedBuffer(json.body()));
        out.headers().add(json.headers());
        out.headers().set(HttpHeaderNames.CONTENT_LENGTH, json.body().length);
        out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return out;
      }
      return response;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
      boolean keepAlive =
          oversized instanceof HttpRequest
              && !(oversized instanceof FullHttpMessage)
              && HttpUtil.isKeepAlive(oversized)
              && HttpUtil.isContentLengthSet(oversized);
      ctx.fireChannelRead(new Oversized(keepAlive));
    }
  }
}
