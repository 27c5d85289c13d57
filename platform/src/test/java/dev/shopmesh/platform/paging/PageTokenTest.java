package dev.shopmesh.platform.paging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.error.FieldViolations;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PageTokenTest {
  @Test
  void aTokenDecodesToTheIdItWasMadeFrom() {
    UUID id = Ids.newId();
    var violations = new FieldViolations();
    assertThat(PageToken.decode(PageToken.encode(id, "orders|u1"), "orders|u1", violations, "page_token"))
        .contains(id);
    assertThat(violations.isEmpty()).isTrue();
  }

  @Test
  void aTokenFromAnotherFilterIsRejected() {
    var violations = new FieldViolations();
    PageToken.decode(PageToken.encode(Ids.newId(), "orders|u1"), "orders|u2", violations, "page_token");
    assertThat(violations.list()).singleElement().satisfies(v -> assertThat(v.getField()).isEqualTo("page_token"));
  }

  @Test
  void everySingleCharacterChangeIsDetected() {
    String token = PageToken.encode(Ids.newId(), "users");
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < token.length() - 1; i++) { // the last char carries padding bits
      for (char c : alphabet.toCharArray()) {
        if (c == token.charAt(i)) {
          continue;
        }
        String tampered = token.substring(0, i) + c + token.substring(i + 1);
        var violations = new FieldViolations();
        PageToken.decode(tampered, "users", violations, "page_token");
        assertThat(violations.isEmpty()).as(tampered).isFalse();
      }
    }
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
}
