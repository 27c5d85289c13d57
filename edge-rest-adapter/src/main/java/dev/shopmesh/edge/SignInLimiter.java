package dev.shopmesh.edge;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.protobuf.StatusProto;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sign-up and sign-in ({@code CreateUser}, {@code CreateSession}) limited per client address by
 * a token bucket: {@code EDGE_SIGN_IN_RATE} requests a minute (30 by default; 0 turns it off),
 * with a burst of as many. Beyond it: RESOURCE_EXHAUSTED, HTTP 429 with {@code Retry-After}, on
 * REST and on the gRPC proxy alike. Each Argon2id hash a service runs costs 19 MiB and tens of
 * milliseconds: this keeps one address from buying many. The map of buckets is bounded (cleared
 * when it holds {@value #MAX_ADDRESSES}), so a flood of addresses costs no memory.
 */
final class SignInLimiter implements ServerInterceptor {
  static final Set<String> LIMITED =
      Set.of("shopmesh.user.v1.UserService/CreateUser", "shopmesh.user.v1.SessionService/CreateSession");
  static final String REASON = "SIGN_IN_RATE_LIMITED";
  private static final int MAX_ADDRESSES = 10_000;

  private final double perNano;
  private final double burst;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    double tokens;
    long last;

    Bucket(double tokens, long last) {
      this.tokens = tokens;
      this.last = last;
    }
  }

  /** @param perMinute requests a minute per address; 0 means no limit */
  SignInLimiter(int perMinute) {
    this.burst = perMinute;
    this.perNano = perMinute / 60e9;
  }

  /** Empty when {@code method} may go ahead for {@code address}; else how long to wait. */
  Optional<Duration> take(String method, String address) {
    if (burst <= 0 || !LIMITED.contains(method)) {
      return Optional.empty();
    }
    if (buckets.size() >= MAX_ADDRESSES) {
      buckets.clear();
    }
    long now = System.nanoTime();
    Bucket b = buckets.computeIfAbsent(address, a -> new Bucket(burst, now));
    synchronized (b) {
      b.tokens = Math.min(burst, b.tokens + (now - b.last) * perNano);
      b.last = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return Optional.empty();
      }
      long waitNanos = (long) Math.ceil((1 - b.tokens) / perNano);
      return Optional.of(Duration.ofNanos(waitNanos));
    }
  }

  static long seconds(Duration wait) {
    return Math.max(1, (wait.toMillis() + 999) / 1000);
  }

  static com.google.rpc.Status status(Duration wait) {
    return com.google.rpc.Status.newBuilder()
        .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
        .setMessage("too many sign-ups or sign-ins from this address; retry in " + seconds(wait) + " s")
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(REASON).setDomain(EdgeError.DOMAIN).build()))
        .addDetails(
            Any.pack(
                RetryInfo.newBuilder()
                    .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(seconds(wait)))
                    .build()))
        .build();
  }

  /** The gRPC proxy's side: the peer's address. */
  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    String address =
        peer instanceof InetSocketAddress inet && inet.getAddress() != null ? inet.getAddress().getHostAddress() : "unknown";
    Optional<Duration> wait = take(call.getMethodDescriptor().getFullMethodName(), address);
    if (wait.isEmpty()) {
      return next.startCall(call, headers);
    }
    var e = StatusProto.toStatusRuntimeException(status(wait.get()));
    call.close(e.getStatus(), e.getTrailers());
    return new ServerCall.Listener<>() {};
  }
}
