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
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.flow.FlowControlHandler;
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
 * <p><b>Hostile clients.</b> What a client can make the edge hold is bounded:
 * <ul>
 *   <li>Back-pressure: a connection stops being read while its socket is not writable (above the
 *       write buffer's high water mark) or while {@link #MAX_PIPELINED} requests are in flight on
 *       it; a {@link FlowControlHandler} holds what the last read decoded. A client that pipelines
 *       and never reads thus costs at most the high water mark plus {@link #MAX_PIPELINED}
 *       responses; one whose unread answers pass {@link #MAX_UNREAD_BYTES} is disconnected.
 *   <li>{@code EDGE_MAX_CONNECTIONS}: connections beyond it get 503 with {@code Retry-After} to
 *       their first request, and are closed.
 *   <li>{@code EDGE_MAX_REQUESTS_IN_FLIGHT}: requests beyond it get 503 with {@code Retry-After}.
 *   <li>{@code EDGE_REQUEST_HEADERS_TIMEOUT} and {@code EDGE_REQUEST_BODY_TIMEOUT}: a request
 *       whose headers (from its first byte) or body do not arrive in time gets 408 and the
 *       connection closes, so a slowloris client holds a connection for seconds, not forever.
 * </ul>
 *
 * <p><b>Shutdown.</b> {@link #stopAccepting()} closes the listening socket and idle connections;
 * connections with requests in flight get their answers with {@code connection: close}.
 * {@link #awaitDrained} waits for those, {@link #close} closes what is left.
 */
final class RestServer implements AutoCloseable {
  /** Requests a connection may have in flight before the edge stops reading from it. */
  static final int MAX_PIPELINED = 64;
  /** Netty's write-buffer water marks: a connection is unwritable above the high one. */
  static final int WRITE_BUFFER_LOW = 32 * 1024;
  static final int WRITE_BUFFER_HIGH = 64 * 1024;
  /** A connection whose client leaves more than this unread is closed. */
  static final long MAX_UNREAD_BYTES = 16L << 20;
  /** What a 503 for a cap tells the client to wait, in seconds. */
  static final String RETRY_AFTER_SECONDS = "1";

  private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers =
      new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), NioIoHandler.newFactory());
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();
  private final RestGateway gateway;
  private final int maxRequestsInFlight;
  private volatile boolean draining;
  private final Channel listener;

  RestServer(EdgeSettings settings, RestGateway gateway) {
    this.gateway = gateway;
    this.maxRequestsInFlight = settings.maxRequestsInFlight();
    int port = settings.httpPort();
    int maxBodyBytes = settings.maxBodyBytes();
    Duration idleTimeout = settings.idleTimeout();
    int maxConnections = settings.maxConnections();
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(WRITE_BUFFER_LOW, WRITE_BUFFER_HIGH))
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    boolean overCap = open.incrementAndGet() > maxConnections;
                    ch.closeFuture().addListener(f -> open.decrementAndGet());
                    connections.add(ch);
                    RequestTimeouts timeouts =
                        new RequestTimeouts(settings.requestHeadersTimeout(), settings.requestBodyTimeout());
                    ch.pipeline()
                        .addLast(
                            new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS),
                            timeouts.firstByte(),
                            new HttpServerCodec(
                                new HttpDecoderConfig()
                                    .setMaxInitialLineLength(16 * 1024)
                                    .setMaxHeaderSize(60 * 1024)),
                            timeouts.progress(),
                            new BodyLimit(maxBodyBytes),
                            // What one read decoded waits here while reading is paused.
                            new FlowControlHandler(),
                            new RestHandler(RestServer.this, overCap));
                  }
                });
    try {
      this.listener = bootstrap.bind(settings.grpc().address(port)).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      close();
      throw new UncheckedIOException(
          "edge: cannot listen for HTTP on port " + port, new java.io.IOException(e.getMessage(), e));
    }
  }

  int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /** Bytes queued in the connections' outbound buffers, not yet taken by the socket. */
  long bufferedBytes() {
    long total = 0;
    for (Channel c : connections) {
      var buffer = c.unsafe().outboundBuffer();
      if (buffer != null) {
        total += buffer.totalPendingWriteBytes();
      }
    }
    return total;
  }

  int connectionCount() {
    return connections.size();
  }

  /** Whether one more request would pass {@code EDGE_MAX_REQUESTS_IN_FLIGHT}. */
  boolean overloaded() {
    return inFlight.get() >= maxRequestsInFlight;
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
