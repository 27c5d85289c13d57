package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * io.envoyproxy.controlplane:api bundles its own protobuf-3.25 copies of some Google API and
 * OpenTelemetry proto classes. These tests also run the services, so wherever the project has
 * its own copy (proto-google-common-protos, opentelemetry-proto), that copy must be the one
 * loaded: the classpath follows declaration order in cluster-config/pom.xml.
 */
class ClasspathTest {
  private static final String ENVOY_API_JAR = "io/envoyproxy/controlplane/api/";

  @Test
  void theServicesGoogleApiClassesWinOverTheCopiesInsideEnvoysApiJar() throws Exception {
    for (String type : List.of("com.google.rpc.Status", "com.google.api.HttpRule", "com.google.api.AnnotationsProto")) {
      assertThat(copies(type)).as(type).hasSizeGreaterThan(1);
      assertThat(copies(type).get(0).toString()).as(type).contains("proto-google-common-protos");
    }
  }

  @Test
  void wheneverTheProjectHasItsOwnCopyOfAClassEnvoysJarBundlesItsOwnWins() throws Exception {
    for (String type : List.of(
        "com.google.rpc.Status",
        "com.google.api.HttpRule",
        "io.opentelemetry.proto.trace.v1.Span",
        "io.opentelemetry.proto.common.v1.AnyValue",
        "io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest")) {
      List<URL> copies = copies(type);
      if (copies.size() > 1) {
        assertThat(copies.get(0).toString()).as(type + " is loaded from " + copies.get(0)).doesNotContain(ENVOY_API_JAR);
      }
    }
  }

  @Test
  void protobufIsTheProjectsRuntimeNotEnvoysOlderOne() {
    assertThat(location(com.google.protobuf.Message.class)).contains("protobuf-java-4.");
    assertThat(location(io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap.class)).contains("api-1.0.49");
  }

  private static List<URL> copies(String className) throws Exception {
    return Collections.list(
        ClasspathTest.class.getClassLoader().getResources(className.replace('.', '/') + ".class"));
  }

  private static String location(Class<?> type) {
    return type.getProtectionDomain().getCodeSource().getLocation().toString();
  }
}
