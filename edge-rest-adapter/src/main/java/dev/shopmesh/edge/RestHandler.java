package dev.shopmesh.edge;

import com.google.rpc.Code;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP connection. Requests are handed to the {@link RestGateway}; their responses are
 * written strictly in request order (HTTP/1.1 pipelining), whatever order the backends answer
 * in. All state here is touched on the connection's event loop only.
 */
final class RestHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(RestHandler.class);

  private static final class Slot {
    final boolean keepAlive;
    final HttpVersion version;
    RestGateway.Response response;
    RestGateway.Cancel cancel;
    boolean counted = true;

    Slot(boolean keepAlive, HttpVersion version) {
      this.keepAlive = keepAlive;
      this.version = version;
    }
  }

  private final RestServer server;
  private final boolean overCap;
  private final ArrayDeque<Slot> pending = new ArrayDeque<>();
  private boolean closing;

  /** @param overCap this connection is over {@code EDGE_MAX_CONNECTIONS}: it gets one 503 */
  RestHandler(RestServer server, boolean overCap) {
    this.server = server;
    this.overCap = overCap;
  }

  RestServer server() {
    return server;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      io.netty.util.ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof RestServer.Oversized oversized) {
      Slot slot = enqueue(ctx, oversized.keepAlive(), HttpVersion.HTTP_1_1);
      complete(ctx, slot, server.gateway().error(EdgeError.tooLarge(maxBody(ctx))));
      return;
    }
    if (!(msg instanceof FullHttpRequest request)) {
      io.netty.util.ReferenceCountUtil.release(msg);
      return;
    }
    try {
      if (request.decoderResult().isFailure()) {
        Slot slot = enqueue(ctx, false, HttpVersion.HTTP_1_1);
        complete(ctx, slot, server.gateway().error(malformed(request.decoderResult().cause())));
        return;
      }
      if (overCap) {
        Slot slot = enqueue(ctx, false, request.protocolVersion());
        complete(ctx, slot, server.gateway().error(busy("TOO_MANY_CONNECTIONS", "the edge has too many connections")));
        return;
      }
      boolean overloaded = server.overloaded();
      Slot slot = enqueue(ctx, HttpUtil.isKeepAlive(request) && !server.draining(), request.protocolVersion());
      if (overloaded) {
        complete(ctx, slot, server.gateway().error(busy("TOO_MANY_REQUESTS", "the edge has too many requests in flight")));
        return;
      }
      var req =
          new RestGateway.Request(
              request.method().name(),
              request.uri(),
              request.headers(),
              ByteBufUtil.getBytes(request.content()),
              ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : null);
      try {
        slot.cancel =
            server.gateway().handle(req, response -> ctx.executor().execute(() -> complete(ctx, slot, response)));
      } catch (RuntimeException e) {
        log.error("{} {} failed", req.method(), req.uri(), e);
        complete(ctx, slot, server.gateway().internalError());
      }
    } finally {
      request.release();
    }
  }

  private Slot enqueue(ChannelHandlerContext ctx, boolean keepAlive, HttpVersion version) {
    Slot slot = new Slot(keepAlive, version);
    pending.add(slot);
    server.inFlight().incrementAndGet();
    if (pending.size() >= RestServer.MAX_PIPELINED || !ctx.channel().isWritable()) {
      ctx.channel().config().setAutoRead(false);
    }
    return slot;
  }

  /** 503 for a cap, with Retry-After: the client may come back shortly. */
  private static EdgeError busy(String reason, String message) {
    return EdgeError.of(503, Code.UNAVAILABLE, reason, message + "; retry later", Map.of())
        .withHeader("retry-after", RestServer.RETRY_AFTER_SECONDS);
  }

  /**
   * Reading resumes only when the client takes its answers (the socket is writable again) and
   * fewer than {@link RestServer#MAX_PIPELINED} requests are in flight on this connection.
   */
  private void maybeResumeReading(ChannelHandlerContext ctx) {
    Channel ch = ctx.channel();
    if (!closing && pending.size() < RestServer.MAX_PIPELINED && ch.isWritable() && !ch.config().isAutoRead()) {
      ch.config().setAutoRead(true);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (ctx.channel().isWritable()) {
      maybeResumeReading(ctx);
    } else {
      ctx.channel().config().setAutoRead(false);
    }
    super.channelWritabilityChanged(ctx);
  }

  private void complete(ChannelHandlerContext ctx, Slot slot, RestGateway.Response response) {
    if (slot.response != null || !pending.contains(slot)) {
      return;
    }
    slot.response = response;
    boolean wrote = false;
    while (!pending.isEmpty() && pending.peek().response != null) {
      Slot next = pending.poll();
      release(next);
      boolean keepAlive = next.keepAlive && !server.draining();
      FullHttpResponse out = toNetty(next, keepAlive);
      var future = ctx.write(out);
      wrote = true;
      if (!keepAlive) {
        future.addListener(ChannelFutureListener.CLOSE);
        closing = true;
        cancelPending();
        break;
      }
    }
    if (wrote) {
      ctx.flush();
      var unread = ctx.channel().unsafe().outboundBuffer();
      if (unread != null && unread.totalPendingWriteBytes() > RestServer.MAX_UNREAD_BYTES && !closing) {
        log.info("closing HTTP connection {}: its client leaves {} bytes unread", ctx.channel().remoteAddress(),
            unread.totalPendingWriteBytes());
        closing = true;
        cancelPending();
        ctx.close();
        return;
      }
    }
    if (!ctx.channel().isWritable()) {
      ctx.channel().config().setAutoRead(false);
    }
    maybeResumeReading(ctx);
  }

  private static FullHttpResponse toNetty(Slot slot, boolean keepAlive) {
    RestGateway.Response r = slot.response;
    FullHttpResponse out =
        new DefaultFullHttpResponse(
            slot.version == HttpVersion.HTTP_1_0 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(r.status()),
            Unpooled.wrappedBuffer(r.body()));
    out.headers().add(r.headers());
    out.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
    if (!keepAlive) {
      out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (slot.version == HttpVersion.HTTP_1_0) {
      out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    return out;
  }

  private void release(Slot slot) {
    if (slot.counted) {
      slot.counted = false;
      server.inFlight().decrementAndGet();
    }
  }

  private void cancelPending() {
    for (Slot s : pending) {
      if (s.cancel != null) {
        s.cancel.cancel();
      }
      release(s);
    }
    pending.clear();
  }

  /** Closes the connection if no request is in flight on it (used when the edge drains). */
  void closeIfIdle(Channel channel) {
    if (pending.isEmpty()) {
      closing = true;
      channel.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    closing = true;
    cancelPending();
    super.channelInactive(ctx);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof RequestTimeouts.Expired expired) {
      if (!closing) {
        log.debug("HTTP connection {}: request {} not received within {}", ctx.channel().remoteAddress(), expired.what(),
            expired.limit());
        Slot slot = enqueue(ctx, false, HttpVersion.HTTP_1_1);
        complete(ctx, slot, server.gateway().error(EdgeError.of(408, Code.DEADLINE_EXCEEDED, "REQUEST_TIMEOUT",
            "the request " + expired.what() + " did not arrive within " + expired.limit().toMillis() + " ms", Map.of())));
        // Nothing more is read from a client that has shown it sends too slowly.
        closing = true;
      }
      return;
    }
    if (evt instanceof IdleStateEvent && pending.isEmpty()) {
      ctx.close();
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("HTTP connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }

  private static int maxBody(ChannelHandlerContext ctx) {
    var aggregator = ctx.pipeline().get(io.netty.handler.codec.http.HttpObjectAggregator.class);
    return aggregator == null ? 0 : aggregator.maxContentLength();
  }

  private static EdgeError malformed(Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return EdgeError.of(414, Code.INVALID_ARGUMENT, "URI_TOO_LONG", "the request line is too long", Map.of());
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return EdgeError.of(
          431, Code.INVALID_ARGUMENT, "HEADERS_TOO_LARGE", "the request headers are too large", Map.of());
    }
    String what = cause instanceof TooLongFrameException ? "too large" : "malformed";
    return EdgeError.of(
        400, Code.INVALID_ARGUMENT, "MALFORMED_HTTP_REQUEST", "the HTTP request is " + what + ": " + cause.getMessage(), Map.of());
  }
}
