package dev.shopmesh.platform.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Optional;

/**
 * The address of the client a call comes from, for per-address limits (failed sign-ins): the
 * right-most {@code x-forwarded-for} entry when there is one (the one the edge appended: the
 * address the edge saw), otherwise the transport peer's IP.
 *
 * <p>A client that reaches a service's own port directly can write any {@code x-forwarded-for};
 * the services' ports are not meant to be exposed (DESIGN.md), and per-account limits hold
 * regardless.
 */
public final class ClientAddress implements ServerInterceptor {
  private static final Context.Key<String> KEY = Context.key("shopmesh-client-address");
  private static final Metadata.Key<String> FORWARDED_FOR =
      Metadata.Key.of("x-forwarded-for", Metadata.ASCII_STRING_MARSHALLER);
  private static final int MAX_LENGTH = 64;

  /** The current call's client address, "unknown" when there is none. */
  public static String current() {
    return Optional.ofNullable(KEY.get()).orElse("unknown");
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String address = forwarded(headers.get(FORWARDED_FOR));
    if (address == null) {
      SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
      address = peer instanceof InetSocketAddress inet && inet.getAddress() != null
          ? inet.getAddress().getHostAddress()
          : "unknown";
    }
    return Contexts.interceptCall(Context.current().withValue(KEY, address), call, headers, next);
  }

  private static String forwarded(String header) {
    if (header == null) {
      return null;
    }
    String last = header.substring(header.lastIndexOf(',') + 1).trim();
    if (last.isEmpty()) {
      return null;
    }
    return last.length() > MAX_LENGTH ? last.substring(0, MAX_LENGTH) : last;
  }
}
