package dev.shopmesh.platform.paging;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.shopmesh.platform.error.FieldViolations;
import java.util.Optional;
import java.util.UUID;

/**
 * Coverage-guided fuzzing of page tokens, which clients send back as they please. The property:
 * a token decodes only to an id this key could have made a token of for this scope, and anything
 * else is one violation on the field, never an exception.
 */
class PageTokenFuzzTest {
  private static final PageToken TOKENS = PageToken.forKey(new byte[32]);

  @FuzzTest
  void aPageTokenFromAClientDecodesOnlyWhenItIsOurs(FuzzedDataProvider data) {
    String scope = data.consumeString(40);
    String token = data.consumeRemainingAsString();
    FieldViolations violations = new FieldViolations();

    Optional<UUID> after = TOKENS.decode(token, scope, violations, "page_token");

    if (after.isPresent()) {
      assertThat(violations.isEmpty()).isTrue();
      // Base64 may spell the same bytes more than one way; the bytes are what the MAC covers.
      String ours = TOKENS.encode(after.get(), scope);
      assertThat(TOKENS.decode(ours, scope, new FieldViolations(), "page_token")).contains(after.get());
    } else {
      assertThat(violations.count()).isLessThanOrEqualTo(1);
      assertThat(token.isEmpty()).isEqualTo(violations.isEmpty());
    }
  }
}
