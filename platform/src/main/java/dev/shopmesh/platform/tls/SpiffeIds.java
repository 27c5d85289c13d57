package dev.shopmesh.platform.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The mesh's workload names: SPIFFE ids {@code spiffe://shopmesh.local/<service>}, carried as
 * the one URI subject alternative name of each service's certificate.
 */
public final class SpiffeIds {
  public static final String TRUST_DOMAIN = "shopmesh.local";

  private static final int URI_NAME = 6; // GeneralName uniformResourceIdentifier

  private SpiffeIds() {}

  /** {@code spiffe://shopmesh.local/order-svc} for {@code order-svc}. */
  public static String of(String service) {
    if (!service.matches("[a-z0-9][a-z0-9-]{0,62}")) {
      throw new IllegalArgumentException("not a service name: " + service);
    }
    return "spiffe://" + TRUST_DOMAIN + "/" + service;
  }

  /** The URI subject alternative names of {@code certificate}, in order. */
  public static List<String> uris(X509Certificate certificate) {
    Collection<List<?>> names;
    try {
      names = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return List.of();
    }
    List<String> uris = new ArrayList<>();
    if (names != null) {
      for (List<?> name : names) {
        if (name.size() >= 2 && Integer.valueOf(URI_NAME).equals(name.get(0)) && name.get(1) instanceof String uri) {
          uris.add(uri);
        }
      }
    }
    return uris;
  }
}
