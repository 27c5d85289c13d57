package dev.shopmesh.platform.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.platform.config.Env;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where listeners bind: loopback unless BIND_HOST says otherwise (the container image does). */
class BindHostTest {
  @Test
  void byDefaultOnlyThisMachineCanConnect() {
    ServerSettings settings = ServerSettings.from(Env.of(Map.of()), 50051);
    assertThat(settings.address(settings.port()).getAddress().isLoopbackAddress()).isTrue();
  }

  @Test
  void bindHostOpensEveryListenerOfTheProcessToTheNetwork() {
    ServerSettings settings = ServerSettings.from(Env.of(Map.of("BIND_HOST", "0.0.0.0")), 50051).withPort(9090);
    assertThat(settings.address(8081).getAddress().isAnyLocalAddress()).isTrue();
    assertThat(settings.address(8081).getPort()).isEqualTo(8081);
  }
}
