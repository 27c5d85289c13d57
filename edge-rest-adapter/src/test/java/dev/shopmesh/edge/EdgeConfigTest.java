package dev.shopmesh.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.AnnotationsProto;
import com.google.api.FieldBehaviorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.ExtensionRegistry;
import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up configuration: the descriptor set the routes come from, and bad settings. */
class EdgeConfigTest {
  private static Map<String, String> env(Map<String, String> extra) {
    return LocalMesh.edgeEnvWithoutBackends(extra);
  }

  @Test
  void routesComeFromTheDescriptorSetFile(@TempDir Path dir) throws Exception {
    // The shipped set, with the http rule of ListUsers removed: it stops being public.
    ExtensionRegistry registry = ExtensionRegistry.newInstance();
    AnnotationsProto.registerAllExtensions(registry);
    FieldBehaviorProto.registerAllExtensions(registry);
    FileDescriptorSet set;
    try (InputStream in = EdgeConfigTest.class.getResourceAsStream("/shopmesh.protobin")) {
      set = FileDescriptorSet.parseFrom(in, registry);
    }
    FileDescriptorSet.Builder edited = set.toBuilder();
    for (var file : edited.getFileBuilderList()) {
      for (var service : file.getServiceBuilderList()) {
        for (var method : service.getMethodBuilderList()) {
          if (method.getName().equals("ListUsers")) {
            method.getOptionsBuilder().clearExtension(AnnotationsProto.http);
          }
        }
      }
    }
    Path file = dir.resolve("edited.protobin");
    Files.write(file, edited.build().toByteArray());

    Edge edge = Main.start(Env.of(env(Map.of("DESCRIPTOR_SET", file.toString()))));
    try {
      Rest rest = new Rest("http://localhost:" + edge.httpPort()).withToken(dev.shopmesh.testkit.TestIdentity.shared().adminToken());
      Rest.Reply list = rest.get("/v1/users");
      assertThat(list.status()).isEqualTo(405);
      assertThat(list.headers().firstValue("allow")).hasValue("POST");
      assertThat(rest.get("/openapi.json").json().getAsJsonObject("paths").getAsJsonObject("/v1/users").keySet())
          .containsExactly("post");
    } finally {
      edge.stop();
    }
  }

  @Test
  void aMissingDescriptorSetFileIsAConfigError() {
    assertThatThrownBy(() -> Main.start(Env.of(env(Map.of("DESCRIPTOR_SET", "/no/such/file.protobin")))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("DESCRIPTOR_SET");
  }

  @Test
  void aFileThatIsNotADescriptorSetIsAConfigError(@TempDir Path dir) throws Exception {
    Path junk = dir.resolve("junk.protobin");
    Files.writeString(junk, "this is not a descriptor set");

    assertThatThrownBy(() -> Main.start(Env.of(env(Map.of("DESCRIPTOR_SET", junk.toString())))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(junk.toString());
  }

  @Test
  void aMalformedSettingNamesTheVariable() {
    assertThatThrownBy(() -> Main.start(Env.of(env(Map.of("EDGE_MAX_BODY_BYTES", "lots")))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("EDGE_MAX_BODY_BYTES");
  }

  @Test
  void anUnsupportedExpectationIsJson() throws Exception {
    Edge edge = Main.start(Env.of(env(Map.of())));
    try (Socket socket = new Socket("localhost", edge.httpPort())) {
      socket.getOutputStream().write(
          "POST /v1/users HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\n{}"
              .getBytes(StandardCharsets.US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(response).startsWith("HTTP/1.1 417").contains("content-type: application/json").contains("\"code\":3");
    } finally {
      edge.stop();
    }
  }
}
