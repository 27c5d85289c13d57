package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * io.envoyproxy.controlplane:api bundles its own protobuf-3.25 copies of a few Google API
 * classes. These tests run the services too, so the project's copies must be the ones loaded.
 */
class ClasspathTest {
  @Test
  void theServicesGoogleApiClassesWinOverTheCopiesInsideEnvoysApiJar() {
    for (Class<?> type : List.of(
        com.google.rpc.Status.class, com.google.api.HttpRule.class, com.google.api.AnnotationsProto.class)) {
      assertThat(location(type)).as(type.getName()).contains("proto-google-common-protos");
    }
  }

  @Test
  void protobufIsTheProjectsRuntimeNotEnvoysOlderOne() {
    assertThat(location(com.google.protobuf.Message.class)).contains("protobuf-java-4.");
    assertThat(location(io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap.class)).contains("api-1.0.49");
  }

  private static String location(Class<?> type) {
    return type.getProtectionDomain().getCodeSource().getLocation().toString();
  }
}
