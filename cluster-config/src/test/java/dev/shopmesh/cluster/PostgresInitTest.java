package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** deploy/postgres (compose's database initialisation), run on the tests' PostgreSQL 17. */
class PostgresInitTest {
  /** DESIGN.md: one database per service, and a role of its own. */
  static final Map<String, String> DATABASE_OF_ROLE =
      Map.of("user_svc", "users", "order_svc", "orders", "payment_svc", "payments");

  @BeforeAll
  static void initialise() throws SQLException {
    ComposePostgres.ensureInitialized();
  }

  @Test
  void eachServiceRoleConnectsToItsOwnDatabaseOnly() throws SQLException {
    for (var own : DATABASE_OF_ROLE.entrySet()) {
      try (Connection c = ComposePostgres.connect(own.getKey(), own.getValue())) {
        assertThat(c.isValid(2)).isTrue();
      }
      for (String other : List.of("users", "orders", "payments", "postgres", "template1")) {
        if (!other.equals(own.getValue())) {
          assertThatThrownBy(() -> ComposePostgres.connect(own.getKey(), other).close())
              .as("%s connecting to %s", own.getKey(), other)
              .isInstanceOf(SQLException.class)
              .hasMessageContaining("permission denied for database");
        }
      }
    }
  }

  @Test
  void everyServicesDatabaseIsUtf8WithTheCLocaleWhateverTheServersDefault() throws SQLException {
    for (var own : DATABASE_OF_ROLE.entrySet()) {
      try (Connection c = ComposePostgres.connect(own.getKey(), own.getValue());
          Statement s = c.createStatement();
          var rs =
              s.executeQuery(
                  "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database"
                      + " WHERE datname = current_database()")) {
        rs.next();
        assertThat(List.of(rs.getString(1), rs.getString(2), rs.getString(3)))
            .as(own.getValue())
            .containsExactly("UTF8", "C", "C");
      }
    }
  }

  @Test
  void eachServiceRoleCanMigrateItsOwnDatabase() throws SQLException {
    for (var own : DATABASE_OF_ROLE.entrySet()) {
      try (Connection c = ComposePostgres.connect(own.getKey(), own.getValue());
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE migration_probe (id bigint PRIMARY KEY)");
        s.execute("DROP TABLE migration_probe");
      }
    }
  }

  @Test
  void everyServicesDatabaseUrlNamesItsRoleDatabaseAndTheRolesPassword() {
    Map<String, String> passwords = ComposePostgres.psqlValues();
    Map<String, String> seen = new LinkedHashMap<>();
    for (String service : Compose.javaServiceModules().keySet()) {
      String url = Compose.environment(service).get("DATABASE_URL");
      if (url == null) {
        continue;
      }
      URI uri = URI.create(url);
      String[] userInfo = uri.getUserInfo().split(":", 2);
      String role = userInfo[0];
      assertThat(DATABASE_OF_ROLE).as(service + "'s role").containsKey(role);
      assertThat(uri.getHost() + ":" + uri.getPort()).isEqualTo("postgres:5432");
      assertThat(uri.getPath()).isEqualTo("/" + DATABASE_OF_ROLE.get(role));
      assertThat(userInfo[1]).as(service + "'s password is the one postgres gives " + role)
          .isEqualTo(passwords.get(role + "_password"));
      seen.put(role, service);
    }
    assertThat(seen).as("one role per service").hasSameSizeAs(Map.copyOf(seen));
  }

  @Test
  void theInitScriptReadsOnlyVariablesComposeOrTheImageSets() {
    var env = Compose.environment("postgres");
    var script = Repo.read(ComposePostgres.SCRIPT);
    var used = java.util.regex.Pattern.compile("\\$\\{?([A-Z_][A-Z0-9_]*)").matcher(script).results()
        .map(m -> m.group(1)).distinct().toList();
    for (String name : used) {
      // POSTGRES_USER and POSTGRES_DB: the image's entrypoint exports them, with defaults.
      if (!List.of("POSTGRES_USER", "POSTGRES_DB").contains(name)) {
        assertThat(env).as(ComposePostgres.SCRIPT + " reads $" + name).containsKey(name);
      }
    }
    assertThat(ComposePostgres.psqlVariables()).hasSize(DATABASE_OF_ROLE.size());
  }

  @Test
  void theInitScriptIsExecutableAndItsSqlIsNotRunByTheEntrypointOnItsOwn() throws Exception {
    assertThat(java.nio.file.Files.isExecutable(Repo.file(ComposePostgres.SCRIPT))).isTrue();
    // The image runs *.sh, *.sql and *.sql.{gz,xz,zst}: the .psql file only through the script.
    assertThat(ComposePostgres.SQL).doesNotEndWith(".sql");
    assertThat(Repo.read(ComposePostgres.SCRIPT)).contains("/docker-entrypoint-initdb.d/shopmesh.psql");
    assertThat(Compose.bindMounts("postgres")).containsEntry("./deploy/postgres", "/docker-entrypoint-initdb.d");
  }
}
