package dev.shopmesh.platform.tls;

import io.grpc.ChannelCredentials;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettySslContextChannelCredentials;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.cert.X509Certificate;

/**
 * Netty TLS contexts for the mesh's internal calls: TLS 1.3 only, the mesh CA as the only trust
 * anchor, and a certificate on both sides. Servers require a client certificate; which peer may
 * call what is {@link InternalCallers}' decision, per method, from the contracts.
 */
public final class MeshTls {
  static final String TLS_1_3 = "TLSv1.3";

  private MeshTls() {}

  /** For a server: presents {@code tls}'s certificate, requires one from the mesh CA of clients. */
  public static SslContext server(TlsSettings tls) {
    try {
      return GrpcSslContexts.configure(
              io.netty.handler.ssl.SslContextBuilder.forServer(tls.certFile().toFile(), tls.keyFile().toFile()),
              SslProvider.JDK)
          .trustManager(SpiffeTrustManager.pkix(Pem.readCertificate(tls.caFile())))
          .clientAuth(ClientAuth.REQUIRE)
          .protocols(TLS_1_3)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the TLS server context from " + tls, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot build the TLS server context from " + tls + ": " + e.getMessage(), e);
    }
  }

  /**
   * For a client: presents {@code tls}'s certificate and trusts a server only when the mesh CA
   * signed it and it names {@code serverId} (e.g. {@code spiffe://shopmesh.local/payment-svc}).
   */
  public static SslContext client(TlsSettings tls, String serverId) {
    X509Certificate ca = Pem.readCertificate(tls.caFile());
    try {
      return GrpcSslContexts.configure(io.netty.handler.ssl.SslContextBuilder.forClient(), SslProvider.JDK)
          .keyManager(tls.certFile().toFile(), tls.keyFile().toFile())
          .trustManager(new SpiffeTrustManager(ca, serverId))
          .protocols(TLS_1_3)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the TLS client context from " + tls, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot build the TLS client context from " + tls + ": " + e.getMessage(), e);
    }
  }

  /** {@link #client} as channel credentials, for {@code Grpc.newChannelBuilder}. */
  public static ChannelCredentials credentials(TlsSettings tls, String serverId) {
    return NettySslContextChannelCredentials.create(client(tls, serverId));
  }
}
