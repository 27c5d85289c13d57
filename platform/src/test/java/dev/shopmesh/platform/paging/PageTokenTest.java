package dev.shopmesh.platform.paging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.error.FieldViolations;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class PageTokenTest {
  private final PageToken tokens = PageToken.forKey(PageToken.newKey());

  @Test
  void aTokenDecodesToTheIdItWasMadeFrom() {
    UUID id = Ids.newId();
    var violations = new FieldViolations();
    assertThat(tokens.decode(tokens.encode(id, "orders|u1"), "orders|u1", violations, "page_token"))
        .contains(id);
    assertThat(violations.isEmpty()).isTrue();
  }

  @Test
  void aTokenFromAnotherFilterIsRejected() {
    var violations = new FieldViolations();
    tokens.decode(tokens.encode(Ids.newId(), "orders|u1"), "orders|u2", violations, "page_token");
    assertThat(violations.list())
        .singleElement()
        .satisfies(v -> assertThat(v.getDescription()).isEqualTo("belongs to a list call with other filters"));
  }

  @Test
  void everySingleCharacterChangeIsDetected() {
    String token = tokens.encode(Ids.newId(), "users");
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < token.length() - 1; i++) { // the last char carries padding bits
      for (char c : alphabet.toCharArray()) {
        if (c == token.charAt(i)) {
          continue;
        }
        String tampered = token.substring(0, i) + c + token.substring(i + 1);
        var violations = new FieldViolations();
        tokens.decode(tampered, "users", violations, "page_token");
        assertThat(violations.isEmpty()).as(tampered).isFalse();
      }
    }
  }

  @Test
  void aTokenForAnIdOfTheClientsChoosingCannotBeMade() {
    // What a client could do with the checksum that stood in for a MAC: pick an id, compute
    // the CRC32C of the bytes itself, and page from wherever it liked.
    UUID chosen = new UUID(0x0190_0000_0000_7000L, 0x8000_0000_0000_0000L);
    ByteBuffer buf = ByteBuffer.allocate(25);
    buf.put((byte) 1).putLong(chosen.getMostSignificantBits()).putLong(chosen.getLeastSignificantBits());
    buf.putInt(crc(("users").getBytes(StandardCharsets.UTF_8), 5));
    buf.putInt(crc(buf.array(), 21));
    String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(buf.array());

    var violations = new FieldViolations();
    assertThat(tokens.decode(forged, "users", violations, "page_token")).isEmpty();
    assertThat(violations.list())
        .singleElement()
        .satisfies(v -> assertThat(v.getDescription()).isEqualTo("is not a page token returned by this method"));
  }

  @Test
  void aTokenMadeUnderAnotherKeyIsRejected() {
    String theirs = PageToken.forKey(PageToken.newKey()).encode(Ids.newId(), "users");
    var violations = new FieldViolations();
    assertThat(tokens.decode(theirs, "users", violations, "page_token")).isEmpty();
    assertThat(violations.isEmpty()).isFalse();
  }

  @Test
  void aHugeTokenIsRejectedWithoutDecodingIt() {
    var violations = new FieldViolations();
    assertThat(tokens.decode("A".repeat(60_000), "users", violations, "page_token")).isEmpty();
    assertThat(violations.isEmpty()).isFalse();
  }

  @Test
  void pageSizeDefaultsClampsAndRejectsNegative() {
    var violations = new FieldViolations();
    assertThat(PageToken.pageSize(0, violations, "page_size")).isEqualTo(50);
    assertThat(PageToken.pageSize(5000, violations, "page_size")).isEqualTo(1000);
    assertThat(PageToken.pageSize(7, violations, "page_size")).isEqualTo(7);
    assertThat(violations.isEmpty()).isTrue();
    PageToken.pageSize(-1, violations, "page_size");
    assertThat(violations.isEmpty()).isFalse();
  }

  private static int crc(byte[] bytes, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, length);
    return (int) crc.getValue();
  }
}
