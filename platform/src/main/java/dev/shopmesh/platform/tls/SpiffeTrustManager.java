package dev.shopmesh.platform.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Trusts a server when the JDK's PKIX validation chains its certificate to the mesh CA and the
 * certificate names the expected SPIFFE id. Host names play no part: a peer is reached through
 * {@code dns:///payment-svc-headless:51053}, a compose alias or a list of 127.0.0.1 ports, and
 * what proves it is payment-svc is the URI SAN that the mesh CA signed, as in SPIFFE's X.509-SVID.
 * (Being an {@link X509ExtendedTrustManager}, it takes over the JDK's endpoint identification.)
 */
final class SpiffeTrustManager extends X509ExtendedTrustManager {
  private final X509TrustManager pkix;
  private final String expectedServer;

  SpiffeTrustManager(X509Certificate ca, String expectedServer) {
    this.pkix = pkix(ca);
    this.expectedServer = expectedServer;
  }

  /** The JDK's PKIX trust manager with {@code ca} as the only anchor. */
  static X509TrustManager pkix(X509Certificate ca) {
    try {
      KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
      anchors.load(null, null);
      anchors.setCertificateEntry("shopmesh-ca", ca);
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(anchors);
      for (TrustManager tm : factory.getTrustManagers()) {
        if (tm instanceof X509TrustManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("the JDK's PKIX TrustManagerFactory gave no X509TrustManager");
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build a trust manager for the mesh CA", e);
    }
  }

  private void checkServer(X509Certificate[] chain, String authType) throws CertificateException {
    pkix.checkServerTrusted(chain, authType);
    var names = SpiffeIds.uris(chain[0]);
    if (!names.contains(expectedServer)) {
      throw new CertificateException(
          "the server's certificate names " + names + ", not " + expectedServer);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    checkServer(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkServer(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServer(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    pkix.checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    pkix.checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    pkix.checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return pkix.getAcceptedIssuers();
  }
}
