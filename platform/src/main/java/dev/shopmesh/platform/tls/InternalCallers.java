package dev.shopmesh.platform.tls;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors;
import com.google.rpc.ErrorInfo;
import dev.shopmesh.access.v1.AccessProto;
import dev.shopmesh.access.v1.Level;
import dev.shopmesh.access.v1.Rule;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.grpc.protobuf.StatusProto;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Lets a method whose access rule (the contracts' {@code (shopmesh.access.v1.access)} option)
 * is {@code INTERNAL} answer only the services its rule names in {@code callers}, proven by the
 * client certificate of a mutual-TLS connection: the TLS handshake has already chained it to the
 * mesh CA; this checks its SPIFFE id (URI SAN).
 *
 * <ul>
 *   <li>no TLS, or TLS without a client certificate: UNAUTHENTICATED;
 *   <li>a mesh certificate that names another service: PERMISSION_DENIED.
 * </ul>
 *
 * <p>Methods of any other level pass through untouched (tokens are the business of
 * {@code dev.shopmesh.platform.auth}). The rule is read from the method's proto descriptor
 * ({@link MethodDescriptor#getSchemaDescriptor()}), once per method.
 */
public final class InternalCallers implements ServerInterceptor {
  /** The verified SPIFFE id of the calling service, inside an INTERNAL method. */
  public static final Context.Key<String> PEER = Context.key("shopmesh-peer-spiffe-id");

  static final String DOMAIN = "access.shopmesh.dev";

  private final ConcurrentMap<String, Optional<Rule>> rules = new ConcurrentHashMap<>();

  /** The access rule {@code method} declares, if any. */
  public static Optional<Rule> rule(MethodDescriptor<?, ?> method) {
    if (method.getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier supplier) {
      Descriptors.MethodDescriptor proto = supplier.getMethodDescriptor();
      if (proto != null && proto.getOptions().hasExtension(AccessProto.access)) {
        return Optional.of(proto.getOptions().getExtension(AccessProto.access));
      }
    }
    return Optional.empty();
  }

  /** Whether {@code method} is INTERNAL: served on the mTLS listener only. */
  public static boolean isInternal(MethodDescriptor<?, ?> method) {
    return rule(method).map(r -> r.getLevel() == Level.INTERNAL).orElse(false);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    MethodDescriptor<Q, R> method = call.getMethodDescriptor();
    Optional<Rule> rule = rules.computeIfAbsent(method.getFullMethodName(), name -> rule(method));
    if (rule.isEmpty() || rule.get().getLevel() != Level.INTERNAL) {
      return next.startCall(call, headers);
    }
    String peer = verifiedPeer(call, method.getFullMethodName(), rule.get());
    return Contexts.interceptCall(Context.current().withValue(PEER, peer), call, headers, next);
  }

  private static String verifiedPeer(ServerCall<?, ?> call, String method, Rule rule) {
    SSLSession tls = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (tls == null) {
      throw error(
          io.grpc.Status.Code.UNAUTHENTICATED,
          "PEER_CERTIFICATE_REQUIRED",
          method + " is internal: call it over mutual TLS with a mesh certificate (this connection is plaintext)");
    }
    Certificate[] chain;
    try {
      chain = tls.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      chain = new Certificate[0];
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      throw error(
          io.grpc.Status.Code.UNAUTHENTICATED,
          "PEER_CERTIFICATE_REQUIRED",
          method + " is internal: the client presented no certificate");
    }
    List<String> names = SpiffeIds.uris(leaf);
    for (String name : names) {
      if (rule.getCallersList().contains(name)) {
        return name;
      }
    }
    throw error(
        io.grpc.Status.Code.PERMISSION_DENIED,
        "PEER_NOT_ALLOWED",
        method + " answers only " + rule.getCallersList() + "; the client's certificate names " + names);
  }

  private static StatusRuntimeException error(io.grpc.Status.Code code, String reason, String message) {
    return StatusProto.toStatusRuntimeException(
        com.google.rpc.Status.newBuilder()
            .setCode(code.value())
            .setMessage(message)
            .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(reason).setDomain(DOMAIN).build()))
            .build());
  }
}
