package dev.shopmesh.platform.auth;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

/**
 * Sends the current caller's own access token on calls a service makes on their behalf (order-svc
 * asking user-svc for the user of an order), so that the peer checks the same caller against its
 * own rules. A call made outside any signed-in call (the reconciler) carries no token.
 */
public final class ForwardAuthorization implements ClientInterceptor {
  private ForwardAuthorization() {}

  /** {@code channel} with the current caller's token attached to every call. */
  public static Channel on(Channel channel) {
    return ClientInterceptors.intercept(channel, new ForwardAuthorization());
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    String token = AuthInterceptor.TOKEN.get();
    return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        if (token != null && !headers.containsKey(AuthInterceptor.AUTHORIZATION)) {
          headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + token);
        }
        super.start(listener, headers);
      }
    };
  }
}
