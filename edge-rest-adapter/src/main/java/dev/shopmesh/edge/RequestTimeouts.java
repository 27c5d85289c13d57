package dev.shopmesh.edge;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The two timers of one HTTP connection, against clients that send slowly on purpose
 * (slowloris): the headers of a request must arrive within {@code EDGE_REQUEST_HEADERS_TIMEOUT}
 * of its first byte (Envoy's {@code request_headers_timeout}), and its body within
 * {@code EDGE_REQUEST_BODY_TIMEOUT} of its headers. The idle timeout cannot do this: a byte a
 * second keeps a connection from being idle.
 *
 * <p>{@link #firstByte} sits before the HTTP codec and sees raw bytes; {@link #progress} after
 * it, and sees the decoded request go by. When a timer fires, {@link Expired} travels down the
 * pipeline to the {@link RestHandler}, which answers 408 in turn and closes the connection.
 * Both handlers run on the connection's event loop.
 */
final class RequestTimeouts {
  /** A request took too long; {@code what} is "headers" or "body". */
  record Expired(String what, Duration limit) {}

  private final Duration headers;
  private final Duration body;
  private ChannelHandlerContext downstream;
  private boolean inRequest;
  private ScheduledFuture<?> timer;

  RequestTimeouts(Duration headers, Duration body) {
    this.headers = headers;
    this.body = body;
  }

  ChannelHandler firstByte() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!inRequest && msg instanceof ByteBuf b && b.isReadable()) {
          inRequest = true;
          arm("headers", headers);
        }
        ctx.fireChannelRead(msg);
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        ctx.fireChannelInactive();
      }
    };
  }

  ChannelHandler progress() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void handlerAdded(ChannelHandlerContext ctx) {
        downstream = ctx;
      }

      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
          inRequest = true;
          arm("body", body);
        }
        if (msg instanceof LastHttpContent) {
          disarm();
          inRequest = false;
        }
        ctx.fireChannelRead(msg);
      }
    };
  }

  private void arm(String what, Duration limit) {
    disarm();
    ChannelHandlerContext ctx = downstream;
    if (ctx != null) {
      timer =
          ctx.executor()
              .schedule(() -> ctx.fireUserEventTriggered(new Expired(what, limit)), limit.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void disarm() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
