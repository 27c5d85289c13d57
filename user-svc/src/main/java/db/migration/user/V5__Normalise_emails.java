package db.migration.user;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.text.Normalizer;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Emails stored in their one normal form (NFC, then lower case by {@link Locale#ROOT}: the
 * same rule as {@code NewUser.normaliseEmail}), and unique on exactly that, byte for byte.
 *
 * <p>V1 made {@code lower(email)} unique. {@code lower} follows the database's ctype, which
 * the database's locale decides, and no Unicode normalisation applies: "é" and "e" + U+0301
 * were two users, and under a C ctype so were "É" and "é". In Java, so that existing rows and
 * new requests are normalised by the very same function. The column becomes {@code COLLATE
 * "C"}, so its index orders by bytes too and no change of the operating system's collation can
 * corrupt it.
 *
 * <p>A row whose normal form another row already has (two users the old rule told apart) is
 * left as it is and logged, so that nobody loses an account; an operator merges them.
 */
public class V5__Normalise_emails extends BaseJavaMigration {
  private static final Logger log = LoggerFactory.getLogger(V5__Normalise_emails.class);

  @Override
  public void migrate(Context context) throws Exception {
    Connection c = context.getConnection();
    try (Statement s = c.createStatement()) {
      s.execute("DROP INDEX users_email_key");
      s.execute("ALTER TABLE users ALTER COLUMN email TYPE text COLLATE \"C\"");
    }
    Set<String> taken = new HashSet<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT email FROM users")) {
      while (rs.next()) {
        taken.add(rs.getString(1));
      }
    }
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT user_id, email FROM users ORDER BY user_id");
        PreparedStatement update = c.prepareStatement("UPDATE users SET email = ? WHERE user_id = ?")) {
      while (rs.next()) {
        String email = rs.getString("email");
        String normal = Normalizer.normalize(email, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
        if (normal.equals(email)) {
          continue;
        }
        if (!taken.add(normal)) {
          log.warn(
              "user {}: email left as it is: another user has its normal form (merge them)",
              rs.getObject("user_id"));
          continue;
        }
        taken.remove(email);
        update.setString(1, normal);
        update.setObject(2, rs.getObject("user_id"));
        update.executeUpdate();
      }
    }
    try (Statement s = c.createStatement()) {
      s.execute("CREATE UNIQUE INDEX users_email_key ON users (email)");
    }
  }
}
