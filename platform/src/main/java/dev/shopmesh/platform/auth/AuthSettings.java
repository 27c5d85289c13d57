package dev.shopmesh.platform.auth;

import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import java.net.URI;
import java.net.URL;

/**
 * Where access tokens come from and who must have issued them.
 *
 * @param jwksUrl {@code JWKS_URL}: user-svc's key set, {@code http://localhost:8081/.well-known/jwks.json}
 *     by default
 * @param issuer {@code JWT_ISSUER}: the {@code iss} every token must carry,
 *     {@code https://shopmesh.local} by default
 */
public record AuthSettings(URL jwksUrl, String issuer) {
  public static final String AUDIENCE = "shopmesh";
  public static final String DEFAULT_JWKS_URL = "http://localhost:8081/.well-known/jwks.json";
  public static final String DEFAULT_ISSUER = "https://shopmesh.local";

  public static AuthSettings from(Env env) {
    String raw = env.string("JWKS_URL", DEFAULT_JWKS_URL);
    URL url;
    try {
      URI uri = URI.create(raw);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException("not an http(s) URL");
      }
      url = uri.toURL();
    } catch (IllegalArgumentException | java.net.MalformedURLException e) {
      throw new ConfigException("JWKS_URL must be an http(s) URL such as " + DEFAULT_JWKS_URL + ", got '" + raw + "'");
    }
    return new AuthSettings(url, issuer(env));
  }

  /** {@code JWT_ISSUER} alone (user-svc, which signs rather than fetches). */
  public static String issuer(Env env) {
    return env.string("JWT_ISSUER", DEFAULT_ISSUER);
  }
}
