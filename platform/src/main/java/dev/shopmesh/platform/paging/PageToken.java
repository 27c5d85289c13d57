package dev.shopmesh.platform.paging;

import dev.shopmesh.platform.error.FieldViolations;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AIP-158 page tokens and page sizes for keyset pagination over UUIDv7 ids.
 *
 * <p>A token is opaque to clients: base64url of a version byte, the last id of the previous
 * page, a hash of the query it belongs to (its "scope", such as the filter), and an HMAC-SHA256
 * of all that (truncated to 128 bits) under the service's page-token key. A token that was
 * changed in any way, or made up, fails the MAC and is INVALID_ARGUMENT; one replayed against
 * another filter is INVALID_ARGUMENT too, and says so. Without the key a client cannot make a
 * token for an id of its choosing.
 *
 * <p>The key is the service's own ({@link #forKey}): {@code Database} keeps one per database,
 * so that every replica of a service, and the same service after a restart, accepts the
 * tokens of the others.
 */
public final class PageToken {
  public static final int DEFAULT_PAGE_SIZE = 50;
  public static final int MAX_PAGE_SIZE = 1000;

  /** Bytes of a key made by {@link #newKey}. */
  public static final int KEY_BYTES = 32;

  private static final byte VERSION = 2;
  private static final int MAC_BYTES = 16;
  private static final int LENGTH = 1 + 16 + 4 + MAC_BYTES;
  /** Longer text is not a token of ours: it is refused before it is decoded. */
  private static final int MAX_TEXT = 64;

  private final SecretKeySpec key;

  private PageToken(byte[] key) {
    if (key.length < 16) {
      throw new IllegalArgumentException("a page-token key needs at least 16 bytes");
    }
    this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
  }

  /** Tokens made and checked under {@code key}. */
  public static PageToken forKey(byte[] key) {
    return new PageToken(key);
  }

  /** A fresh random key. */
  public static byte[] newKey() {
    byte[] key = new byte[KEY_BYTES];
    new SecureRandom().nextBytes(key);
    return key;
  }

  /** The effective page size: 0 means the default, too large is clamped, negative is invalid. */
  public static int pageSize(int requested, FieldViolations violations, String field) {
    if (requested < 0) {
      violations.add(field, "must not be negative");
      return DEFAULT_PAGE_SIZE;
    }
    if (requested == 0) {
      return DEFAULT_PAGE_SIZE;
    }
    return Math.min(requested, MAX_PAGE_SIZE);
  }

  /** The token that continues after {@code lastId} within {@code scope}. */
  public String encode(UUID lastId, String scope) {
    ByteBuffer buf = ByteBuffer.allocate(LENGTH);
    buf.put(VERSION);
    buf.putLong(lastId.getMostSignificantBits());
    buf.putLong(lastId.getLeastSignificantBits());
    buf.putInt(scopeHash(scope));
    buf.put(mac(buf.array(), LENGTH - MAC_BYTES));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(buf.array());
  }

  /**
   * The id after which the page starts: empty for the first page (an empty token). A token that
   * does not decode, was not made under this key, or was made for another scope, adds a
   * violation on {@code field}.
   */
  public Optional<UUID> decode(String token, String scope, FieldViolations violations, String field) {
    if (token.isEmpty()) {
      return Optional.empty();
    }
    byte[] bytes;
    try {
      bytes = token.length() <= MAX_TEXT ? Base64.getUrlDecoder().decode(token) : new byte[0];
    } catch (IllegalArgumentException e) {
      bytes = new byte[0];
    }
    if (bytes.length != LENGTH
        || bytes[0] != VERSION
        || !MessageDigest.isEqual(
            mac(bytes, LENGTH - MAC_BYTES), Arrays.copyOfRange(bytes, LENGTH - MAC_BYTES, LENGTH))) {
      violations.add(field, "is not a page token returned by this method");
      return Optional.empty();
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes, 1, LENGTH - 1);
    UUID after = new UUID(buf.getLong(), buf.getLong());
    if (buf.getInt() != scopeHash(scope)) {
      violations.add(field, "belongs to a list call with other filters");
      return Optional.empty();
    }
    return Optional.of(after);
  }

  private byte[] mac(byte[] bytes, int length) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      mac.update(bytes, 0, length);
      return Arrays.copyOf(mac.doFinal(), MAC_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  private static int scopeHash(String scope) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(scope.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(digest).getInt();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
