package dev.shopmesh.platform.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvTest {
  @Test
  void durationsAcceptUnitsAndIso8601() {
    Env env = Env.of(Map.of("A", "250ms", "B", "5s", "C", "2m", "D", "PT1.5S", "E", "40"));
    assertThat(env.duration("A", Duration.ZERO)).isEqualTo(Duration.ofMillis(250));
    assertThat(env.duration("B", Duration.ZERO)).isEqualTo(Duration.ofSeconds(5));
    assertThat(env.duration("C", Duration.ZERO)).isEqualTo(Duration.ofMinutes(2));
    assertThat(env.duration("D", Duration.ZERO)).isEqualTo(Duration.ofMillis(1500));
    assertThat(env.duration("E", Duration.ZERO)).isEqualTo(Duration.ofMillis(40));
    assertThat(env.duration("UNSET", Duration.ofSeconds(9))).isEqualTo(Duration.ofSeconds(9));
  }

  @Test
  void malformedValuesFailNamingTheVariableAndTheValue() {
    Env env = Env.of(Map.of("PORT", "80a", "DRAIN", "soon", "FLAG", "maybe"));
    assertThatThrownBy(() -> env.port("PORT", 1)).hasMessageContaining("PORT").hasMessageContaining("80a");
    assertThatThrownBy(() -> env.duration("DRAIN", Duration.ZERO))
        .hasMessageContaining("DRAIN")
        .hasMessageContaining("soon");
    assertThatThrownBy(() -> env.bool("FLAG", false)).hasMessageContaining("FLAG");
  }

  @Test
  void outOfRangeIntegersAreRejected() {
    assertThatThrownBy(() -> Env.of(Map.of("PORT", "70000")).port("PORT", 1))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("0 to 65535");
  }

  @Test
  void blankCountsAsUnset() {
    assertThat(Env.of(Map.of("X", "  ")).string("X", "default")).isEqualTo("default");
  }
}
