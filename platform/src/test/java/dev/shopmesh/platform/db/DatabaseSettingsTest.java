package dev.shopmesh.platform.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DatabaseSettingsTest {
  @Test
  void postgresUrlBecomesJdbcUrlWithDecodedCredentials() {
    var s =
        DatabaseSettings.from(
            Env.of(Map.of("DATABASE_URL", "postgres://svc:p%40ss%3Aw@db.local:6432/users?sslmode=disable")));
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://db.local:6432/users?sslmode=disable");
    assertThat(s.user()).isEqualTo("svc");
    assertThat(s.password()).isEqualTo("p@ss:w");
  }

  @Test
  void libpqVariablesWorkWithoutDatabaseUrl() {
    var s =
        DatabaseSettings.from(
            Env.of(Map.of("PGHOST", "pg", "PGDATABASE", "orders", "PGUSER", "o", "PGPASSWORD", "x")));
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://pg:5432/orders");
    assertThat(s.user()).isEqualTo("o");
  }

  @Test
  void noDatabaseConfiguredNamesTheVariablesToSet() {
    assertThatThrownBy(() -> DatabaseSettings.from(Env.of(Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("DATABASE_URL")
        .hasMessageContaining("PGHOST");
  }

  @Test
  void aUrlOfAnotherKindIsRejected() {
    assertThatThrownBy(() -> DatabaseSettings.from(Env.of(Map.of("DATABASE_URL", "mysql://x/y"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("DATABASE_URL");
  }

  @Test
  void credentialsDoNotShowInToString() {
    var s = DatabaseSettings.from(Env.of(Map.of("DATABASE_URL", "postgres://u:secret@h/d")));
    assertThat(s.toString()).doesNotContain("secret");
  }
}
