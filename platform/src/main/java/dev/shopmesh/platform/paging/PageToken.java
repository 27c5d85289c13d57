package dev.shopmesh.platform.paging;

import dev.shopmesh.platform.error.FieldViolations;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * AIP-158 page tokens and page sizes for keyset pagination over UUIDv7 ids.
 *
 * <p>A token is opaque to clients: base64url of a version byte, the last id of the previous
 * page, a checksum of the query it belongs to (its "scope", such as the filter), and a checksum
 * of all that. A token that was tampered with, or that is replayed against another filter, is
 * INVALID_ARGUMENT rather than a silently wrong page.
 */
public final class PageToken {
  public static final int DEFAULT_PAGE_SIZE = 50;
  public static final int MAX_PAGE_SIZE = 1000;

  private static final byte VERSION = 1;
  private static final int LENGTH = 1 + 16 + 4 + 4;

  private PageToken() {}

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
  public static String encode(UUID lastId, String scope) {
    ByteBuffer buf = ByteBuffer.allocate(LENGTH);
    buf.put(VERSION);
    buf.putLong(lastId.getMostSignificantBits());
    buf.putLong(lastId.getLeastSignificantBits());
    buf.putInt(scopeHash(scope));
    buf.putInt(crc(buf.array(), LENGTH - 4));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(buf.array());
  }

  /**
   * The id after which the page starts: empty for the first page (an empty token). A token that
   * does not decode, or was made for another scope, adds a violation on {@code field}.
   */
  public static Optional<UUID> decode(
      String token, String scope, FieldViolations violations, String field) {
    if (token.isEmpty()) {
      return Optional.empty();
    }
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      bytes = new byte[0];
    }
    if (bytes.length != LENGTH
        || bytes[0] != VERSION
        || ByteBuffer.wrap(bytes, LENGTH - 4, 4).getInt() != crc(bytes, LENGTH - 4)) {
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

  private static int scopeHash(String scope) {
    byte[] bytes = scope.getBytes(StandardCharsets.UTF_8);
    return crc(bytes, bytes.length);
  }

  private static int crc(byte[] bytes, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, length);
    return (int) crc.getValue();
  }
}
