package dev.shopmesh.platform.grpc;

import com.nimbusds.jose.jwk.JWKSet;
import dev.shopmesh.access.v1.Level;
import dev.shopmesh.access.v1.Rule;
import dev.shopmesh.platform.auth.AccessRules;
import dev.shopmesh.platform.auth.AuthSettings;
import dev.shopmesh.platform.auth.TokenVerifier;
import java.util.Map;

/** grpc-java's SimpleService cannot carry the access option: these tests declare it public. */
final class TestAccess {
  static final AccessRules SIMPLE_SERVICE_PUBLIC =
      AccessRules.declared(
          Map.of(
              "grpc.testing.SimpleService/UnaryRpc", Rule.newBuilder().setLevel(Level.PUBLIC).build(),
              "grpc.testing.SimpleService/ClientStreamingRpc", Rule.newBuilder().setLevel(Level.PUBLIC).build(),
              "grpc.testing.SimpleService/ServerStreamingRpc", Rule.newBuilder().setLevel(Level.PUBLIC).build(),
              "grpc.testing.SimpleService/BidiStreamingRpc", Rule.newBuilder().setLevel(Level.PUBLIC).build()));
  static final TokenVerifier NO_KEYS = TokenVerifier.local(new JWKSet(), AuthSettings.DEFAULT_ISSUER);

  private TestAccess() {}
}
