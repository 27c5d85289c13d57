package dev.shopmesh.user;

import dev.shopmesh.platform.auth.Caller;
import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.error.FieldViolations;
import dev.shopmesh.user.v1.User;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first admin, from {@code BOOTSTRAP_ADMIN_EMAIL} and {@code BOOTSTRAP_ADMIN_PASSWORD}, at
 * every start (idempotent, so every replica may do it):
 *
 * <ul>
 *   <li>no user has the email: one is created ("Administrator") with that password, roles
 *       customer and admin;
 *   <li>a user has it and the password matches, or they have no password yet (a user from before
 *       sign-in): they get the password and the role admin;
 *   <li>a user has it with another password: nothing changes, and an error is logged: whoever
 *       signed up with that email is not made an admin by a configuration they do not own.
 * </ul>
 *
 * Neither set: no admin, and a line in the log says so. Only one of them set is a
 * configuration error. There is no default password.
 */
final class BootstrapAdmin {
  private static final Logger log = LoggerFactory.getLogger(BootstrapAdmin.class);

  record Settings(String email, String password) {
    static Optional<Settings> from(Env env) {
      Optional<String> email = env.optional("BOOTSTRAP_ADMIN_EMAIL");
      Optional<String> password = env.optional("BOOTSTRAP_ADMIN_PASSWORD");
      if (email.isEmpty() && password.isEmpty()) {
        return Optional.empty();
      }
      if (email.isEmpty() || password.isEmpty()) {
        throw new ConfigException(
            "BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD go together: set both, or neither for no admin");
      }
      var violations = new FieldViolations();
      NewUser.validate(User.newBuilder().setName("Administrator").setEmail(email.get()).build(), "", violations);
      Passwords.validate(password.get(), "password", violations);
      if (!violations.isEmpty()) {
        throw new ConfigException("BOOTSTRAP_ADMIN_*: " + violations.message());
      }
      return Optional.of(new Settings(NewUser.normaliseEmail(email.get()), password.get()));
    }
  }

  private BootstrapAdmin() {}

  static void apply(Optional<Settings> settings, UserStore users, Passwords passwords) {
    if (settings.isEmpty()) {
      log.info("no BOOTSTRAP_ADMIN_EMAIL/BOOTSTRAP_ADMIN_PASSWORD: no admin is created");
      return;
    }
    Settings s = settings.get();
    for (int attempt = 0; attempt < 3; attempt++) {
      Optional<UserStore.Login> existing = users.login(s.email());
      if (existing.isEmpty()) {
        var created =
            users.create(
                new NewUser("Administrator", s.email()),
                passwords.hash(s.password()),
                List.of(Caller.CUSTOMER, Caller.ADMIN),
                Optional.empty());
        if (created instanceof UserStore.CreateResult.Done) {
          log.info("bootstrap admin {} created", s.email());
          return;
        }
        continue; // another replica created it meanwhile: look again
      }
      UserStore.Login login = existing.get();
      if (login.passwordHash() == null) {
        users.setPassword(login.user().userId(), passwords.hash(s.password()));
      } else if (!passwords.matches(s.password(), login.passwordHash())) {
        log.error(
            "bootstrap admin {}: a user with this email exists with another password; not made an admin",
            s.email());
        return;
      }
      users.addRole(login.user().userId(), Caller.ADMIN);
      log.info("bootstrap admin {} is an admin", s.email());
      return;
    }
    log.error("bootstrap admin {}: could not be created", s.email());
  }
}
