package dev.shopmesh.platform.paging;

import dev.shopmesh.platform.error.FieldViolations;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * One List call's paging (AIP-158): how many, after which id, and within which query ("scope",
 * so that a token cannot be replayed against other filters). Stores fetch {@link #fetchLimit()}
 * rows, one more than the page, after {@link #afterOrStart()}, so that {@link #page} knows whether a
 * next page exists.
 */
public record PageRequest(int size, Optional<UUID> after, String scope) {

  /** Validates {@code page_size} and {@code page_token}, recording a violation for each bad one. */
  public static PageRequest of(int pageSize, String pageToken, String scope, FieldViolations violations) {
    int size = PageToken.pageSize(pageSize, violations, "page_size");
    Optional<UUID> after = PageToken.decode(pageToken, scope, violations, "page_token");
    return new PageRequest(size, after, scope);
  }

  /** The nil UUID sorts before every id a service hands out. */
  private static final UUID BEFORE_ALL = new UUID(0, 0);

  public int fetchLimit() {
    return size + 1;
  }

  /** The id to fetch after ({@code WHERE id > :after}): the token's, or one before every id. */
  public UUID afterOrStart() {
    return after.orElse(BEFORE_ALL);
  }

  /** The rows to return, and the token of the next page ("" on the last one). */
  public record Page<T>(List<T> items, String nextPageToken) {}

  public <T> Page<T> page(List<T> fetched, Function<T, UUID> id) {
    if (fetched.size() <= size) {
      return new Page<>(fetched, "");
    }
    List<T> items = fetched.subList(0, size);
    return new Page<>(items, PageToken.encode(id.apply(items.getLast()), scope));
  }
}
