package dev.shopmesh.cluster;

import dev.shopmesh.testkit.TestPostgres;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * compose's PostgreSQL, reproduced on the tests' embedded PostgreSQL 17: the statements of
 * deploy/postgres/shopmesh.psql, with the passwords that 10-shopmesh.sh hands psql from the
 * postgres service's environment in compose.yaml.
 */
final class ComposePostgres {
  static final String SCRIPT = "deploy/postgres/10-shopmesh.sh";
  static final String SQL = "deploy/postgres/shopmesh.psql";
  private static final Pattern SET = Pattern.compile("--set\\s+(\\w+)=\"\\$\\{?(\\w+)}?\"");
  private static final Pattern PSQL_VARIABLE = Pattern.compile(":'(\\w+)'|:\"(\\w+)\"|(?<![:\\w]):(\\w+)");

  private static boolean initialized;

  private ComposePostgres() {}

  /** psql variable -> the environment variable 10-shopmesh.sh sets it from. */
  static Map<String, String> psqlVariables() {
    Map<String, String> vars = new LinkedHashMap<>();
    Matcher m = SET.matcher(Repo.read(SCRIPT));
    while (m.find()) {
      vars.put(m.group(1), m.group(2));
    }
    return vars;
  }

  /** psql variable -> its value, as compose's postgres service passes it. */
  static Map<String, String> psqlValues() {
    Map<String, String> env = Compose.environment("postgres");
    Map<String, String> values = new LinkedHashMap<>();
    psqlVariables().forEach((psql, envVar) -> {
      if (!env.containsKey(envVar)) {
        throw new AssertionError(SCRIPT + " reads $" + envVar + ", which compose's postgres service does not set");
      }
      values.put(psql, env.get(envVar));
    });
    return values;
  }

  /** The script's statements with every psql variable replaced by a quoted literal. */
  static List<String> statements() {
    Map<String, String> values = psqlValues();
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Repo.read(SQL).split("\n")) {
      String code = line.replaceFirst("--.*$", "").strip();
      if (code.isEmpty()) {
        continue;
      }
      current.append(code).append(' ');
      if (code.endsWith(";")) {
        statements.add(substitute(current.toString().strip(), values));
        current.setLength(0);
      }
    }
    if (!current.isEmpty()) {
      throw new AssertionError(SQL + " ends without a semicolon: " + current);
    }
    return statements;
  }

  static synchronized void ensureInitialized() throws SQLException {
    if (initialized) {
      return;
    }
    try (Connection c = TestPostgres.dataSource("postgres").getConnection();
        Statement s = c.createStatement()) {
      for (String sql : statements()) {
        s.execute(sql);
      }
    }
    initialized = true;
  }

  /** A connection as {@code role} to {@code database} on the test server. */
  static Connection connect(String role, String database) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://localhost:" + TestPostgres.server().getPort() + "/" + database, role, "");
  }

  /** compose's DATABASE_URL pointed at the test server: same role, password and database. */
  static String localUrl(String composeUrl) {
    URI uri = URI.create(composeUrl);
    return uri.getScheme() + "://" + uri.getRawUserInfo() + "@localhost:" + TestPostgres.server().getPort()
        + uri.getRawPath();
  }

  private static String substitute(String sql, Map<String, String> values) {
    Matcher m = PSQL_VARIABLE.matcher(sql);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      if (m.group(1) == null) {
        throw new AssertionError(SQL + ": only :'literal' variables are modelled here: " + m.group());
      }
      String value = values.get(m.group(1));
      if (value == null) {
        throw new AssertionError(SQL + " uses :'" + m.group(1) + "', which " + SCRIPT + " does not --set");
      }
      m.appendReplacement(out, Matcher.quoteReplacement("'" + value.replace("'", "''") + "'"));
    }
    m.appendTail(out);
    return out.toString();
  }
}
