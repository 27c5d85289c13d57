package dev.shopmesh.edge;

import io.grpc.Metadata;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which headers cross the edge, in one place.
 *
 * <p><b>REST request → backend metadata.</b> An allowlist, not Envoy's forward-everything:
 * <ul>
 *   <li>{@code authorization}, so that backends can authenticate callers;
 *   <li>every {@code x-*} header: {@code x-request-id} (generated when the client sent none, as
 *       Envoy does), {@code x-forwarded-*} and any custom header. The edge appends the client's
 *       address to {@code x-forwarded-for} and sets {@code x-forwarded-proto: http} if unset;
 *   <li>trace context ({@code traceparent}, {@code tracestate}, {@code baggage}) is not copied
 *       verbatim: the edge continues the caller's trace through OpenTelemetry propagation. With
 *       an OTLP endpoint configured, the edge's server and client spans sit between caller and
 *       backend; without one, the caller's context reaches the backend as it was.
 * </ul>
 * Never forwarded: hop-by-hop headers (RFC 9110 §7.6.1: {@code connection}, {@code keep-alive},
 * {@code proxy-*}, {@code te}, {@code trailer}, {@code transfer-encoding}, {@code upgrade}, plus
 * every header that {@code Connection} names), {@code host}, {@code content-length},
 * {@code content-type}, {@code cookie}, reserved {@code grpc-*} names (a {@code grpc-timeout}
 * becomes the call's deadline instead), and {@code -bin} names, whose values gRPC would read as
 * base64.
 *
 * <p><b>Identity headers</b> a client sends are dropped on both listeners, so that no backend or
 * later proxy can mistake them for a verified identity: {@code x-user-*}, {@code x-shopmesh-*},
 * {@code x-auth-*}, {@code x-jwt-*}, {@code x-remote-*}, {@code x-forwarded-user},
 * {@code x-forwarded-email}, {@code x-forwarded-groups}, {@code x-forwarded-preferred-username},
 * {@code x-forwarded-access-token}, {@code x-forwarded-client-cert}, {@code x-client-cert},
 * {@code x-consumer-*}, {@code x-spiffe-id}, {@code x-roles}. Services never read any of them;
 * only {@code authorization} carries identity, and it is verified.
 *
 * <p><b>gRPC on 9090.</b> The proxy forwards all custom metadata both ways (binary included) and
 * drops only what the transports own: {@code content-type}, {@code te}, {@code user-agent},
 * {@code grpc-*} (but {@code grpc-status-details-bin}, the error details, goes through),
 * hop-by-hop names, and trace context (re-sent by the client interceptor).
 *
 * <p><b>Backend response headers → REST response.</b> Custom initial metadata becomes response
 * headers, as in Envoy, minus {@code grpc-*}, {@code -bin} and transport headers.
 */
final class HeaderForwarding {
  static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "proxy-authenticate",
          "proxy-authorization",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "host",
          "content-length");

  /** The rich error status (google.rpc.Status) in trailers: the one grpc-* name to forward. */
  private static final String STATUS_DETAILS = "grpc-status-details-bin";

  private static final Set<String> TRACE = Set.of("traceparent", "tracestate", "baggage");
  private static final Set<String> TRANSPORT = Set.of("content-type", "user-agent", "accept-encoding");
  private static final Pattern VALID_NAME = Pattern.compile("[0-9a-z_.\\-]+");
  private static final Pattern GRPC_TIMEOUT = Pattern.compile("(\\d{1,8})([HMSmun])");

  private static final Set<String> IDENTITY =
      Set.of(
          "x-forwarded-user",
          "x-forwarded-email",
          "x-forwarded-groups",
          "x-forwarded-preferred-username",
          "x-forwarded-access-token",
          "x-forwarded-client-cert",
          "x-client-cert",
          "x-spiffe-id",
          "x-roles",
          "x-user");
  private static final List<String> IDENTITY_PREFIXES =
      List.of("x-user-", "x-shopmesh-", "x-auth-", "x-jwt-", "x-remote-", "x-consumer-");

  private HeaderForwarding() {}

  /** Whether {@code name} (lower case) claims an identity that only a verified token may carry. */
  static boolean isIdentityHeader(String name) {
    if (IDENTITY.contains(name)) {
      return true;
    }
    for (String prefix : IDENTITY_PREFIXES) {
      if (name.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** The metadata a REST request sends to its backend. */
  static Metadata fromRest(HttpHeaders headers, String clientAddress) {
    Set<String> named = connectionTokens(headers);
    Metadata md = new Metadata();
    boolean requestId = false;
    boolean forwardedProto = false;
    String forwardedFor = null;
    for (Map.Entry<String, String> h : headers) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (!(name.equals("authorization") || name.startsWith("x-"))
          || named.contains(name)
          || isIdentityHeader(name)
          || name.endsWith("-bin")
          || !VALID_NAME.matcher(name).matches()
          || !printable(h.getValue())) {
        continue;
      }
      if (name.equals("x-forwarded-for")) {
        forwardedFor = forwardedFor == null ? h.getValue() : forwardedFor + ", " + h.getValue();
        continue;
      }
      requestId |= name.equals("x-request-id");
      forwardedProto |= name.equals("x-forwarded-proto");
      md.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), h.getValue());
    }
    if (!requestId) {
      md.put(Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER), UUID.randomUUID().toString());
    }
    if (!forwardedProto) {
      md.put(Metadata.Key.of("x-forwarded-proto", Metadata.ASCII_STRING_MARSHALLER), "http");
    }
    if (clientAddress != null) {
      forwardedFor = forwardedFor == null ? clientAddress : forwardedFor + ", " + clientAddress;
    }
    if (forwardedFor != null) {
      md.put(Metadata.Key.of("x-forwarded-for", Metadata.ASCII_STRING_MARSHALLER), forwardedFor);
    }
    return md;
  }

  /** Backend initial metadata that a REST response carries as headers. */
  static void toRest(Metadata md, HttpHeaders out) {
    if (md == null) {
      return;
    }
    for (String name : md.keys()) {
      if (name.endsWith("-bin") || name.startsWith("grpc-") || name.startsWith(":")
          || TRANSPORT.contains(name) || HOP_BY_HOP.contains(name)) {
        continue;
      }
      for (String value : md.getAll(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER))) {
        out.add(name, value);
      }
    }
  }

  /** Metadata passed through the gRPC proxy (requests, response headers and trailers). */
  static Metadata forGrpcProxy(Metadata in) {
    Metadata out = new Metadata();
    for (String name : in.keys()) {
      if ((name.startsWith("grpc-") && !name.equals(STATUS_DETAILS)) || name.startsWith(":") || TRANSPORT.contains(name)
          || HOP_BY_HOP.contains(name) || TRACE.contains(name) || isIdentityHeader(name)) {
        continue;
      }
      if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        Metadata.Key<byte[]> key = Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER);
        for (byte[] v : in.getAll(key)) {
          out.put(key, v);
        }
      } else {
        Metadata.Key<String> key = Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
        for (String v : in.getAll(key)) {
          out.put(key, v);
        }
      }
    }
    return out;
  }

  /** A {@code grpc-timeout} value ({@code 100m}, {@code 5S}, ...) as a duration, if valid. */
  static Optional<Duration> grpcTimeout(String value) {
    if (value == null) {
      return Optional.empty();
    }
    Matcher m = GRPC_TIMEOUT.matcher(value.trim());
    if (!m.matches()) {
      return Optional.empty();
    }
    long n = Long.parseLong(m.group(1));
    return Optional.of(
        switch (m.group(2)) {
          case "H" -> Duration.ofHours(n);
          case "M" -> Duration.ofMinutes(n);
          case "S" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMillis(n);
          case "u" -> Duration.ofNanos(n * 1000);
          default -> Duration.ofNanos(n);
        });
  }

  private static Set<String> connectionTokens(HttpHeaders headers) {
    Set<String> named = new HashSet<>(HOP_BY_HOP);
    for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
      for (String token : value.split(",")) {
        named.add(token.trim().toLowerCase(Locale.ROOT));
      }
    }
    return named;
  }

  private static boolean printable(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c > 0x7e) {
        return false;
      }
    }
    return true;
  }
}
