package dev.shopmesh.loadgen;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One keep-alive HTTP/1.1 connection carrying one request at a time (no pipelining). Its state
 * is only touched on its event loop. A request that times out closes the connection, so that a
 * late answer can never be taken for the next request's.
 */
final class HttpConnection extends SimpleChannelInboundHandler<FullHttpResponse> {
  private Channel channel;
  private CompletableFuture<HttpReply> pending;
  private ScheduledFuture<?> timer;

  void bind(Channel channel) {
    this.channel = channel;
  }

  boolean isOpen() {
    return channel.isActive();
  }

  Channel channel() {
    return channel;
  }

  /** Sends {@code request}; the answer completes the future, on this connection's event loop. */
  CompletableFuture<HttpReply> exchange(FullHttpRequest request, long timeoutNanos) {
    CompletableFuture<HttpReply> reply = new CompletableFuture<>();
    EventLoop loop = channel.eventLoop();
    if (loop.inEventLoop()) {
      start(request, reply, timeoutNanos);
    } else {
      loop.execute(() -> start(request, reply, timeoutNanos));
    }
    return reply;
  }

  private void start(FullHttpRequest request, CompletableFuture<HttpReply> reply, long timeoutNanos) {
    if (pending != null || !channel.isActive()) {
      request.release();
      reply.completeExceptionally(
          pending != null ? new IllegalStateException("connection busy") : new ClosedChannelException());
      return;
    }
    pending = reply;
    timer =
        channel.eventLoop().schedule(
            () -> fail(new TimeoutException("no answer in time")), timeoutNanos, TimeUnit.NANOSECONDS);
    channel
        .writeAndFlush(request)
        .addListener(
            written -> {
              if (!written.isSuccess()) {
                fail(written.cause());
              }
            });
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
    CompletableFuture<HttpReply> reply = pending;
    pending = null;
    cancelTimer();
    if (!HttpUtil.isKeepAlive(response)) {
      ctx.close(); // before completing, so that the pool does not take it back
    }
    if (reply != null) {
      reply.complete(new HttpReply(response.status().code(), response.content().toString(StandardCharsets.UTF_8)));
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    fail(new ClosedChannelException());
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    fail(cause);
  }

  private void fail(Throwable cause) {
    CompletableFuture<HttpReply> reply = pending;
    pending = null;
    cancelTimer();
    channel.close();
    if (reply != null) {
      reply.completeExceptionally(cause);
    }
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
