package dev.shopmesh.user;

import dev.shopmesh.platform.error.FieldViolations;
import dev.shopmesh.user.v1.User;
import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/** A user as a client asks to create one, once it has passed validation. */
record NewUser(String name, String email) {
  static final int MAX_NAME = 200;
  static final int MAX_EMAIL = 320;
  static final int MAX_LOCAL_PART = 64;
  // Pragmatic, not RFC 5322: one @, no whitespace, a dot in the domain.
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+");

  /** Checks every rule, recording one violation per bad field under {@code prefix}. */
  static NewUser validate(User user, String prefix, FieldViolations violations) {
    String name = user.getName();
    if (violations.check(!name.isBlank(), prefix + "name", "is required")) {
      violations.check(
          name.codePointCount(0, name.length()) <= MAX_NAME,
          prefix + "name",
          "must be at most " + MAX_NAME + " characters");
      violations.check(
          name.codePoints().noneMatch(Character::isISOControl),
          prefix + "name",
          "must not contain control characters");
    }
    String email = normaliseEmail(user.getEmail());
    if (violations.check(!email.isEmpty(), prefix + "email", "is required")) {
      if (email.length() > MAX_EMAIL) {
        violations.add(prefix + "email", "must be at most " + MAX_EMAIL + " characters");
      } else if (!EMAIL.matcher(email).matches()
          || email.indexOf('@') > MAX_LOCAL_PART
          || email.codePoints().anyMatch(Character::isISOControl)) {
        violations.add(prefix + "email", "must be an email address such as ada@example.com");
      }
    }
    return new NewUser(name, email);
  }

  /**
   * The one form of an email address that is stored and compared: Unicode NFC (so that "é" and
   * "e" + U+0301 are one letter), then lower case by {@link Locale#ROOT} (the same in every
   * JVM, whatever its default locale, and whatever the database's). Uniqueness is then a
   * byte comparison in the database, which no collation or ctype can change.
   */
  static String normaliseEmail(String email) {
    if (email.length() > 4 * MAX_EMAIL) {
      return email; // too long either way; not worth normalising
    }
    return Normalizer.normalize(email, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
  }

  /** Whether {@code row} is what this request would have created (an idempotent replay). */
  boolean sameAs(UserRow row) {
    return name.equals(row.name()) && email.equals(row.email());
  }
}
