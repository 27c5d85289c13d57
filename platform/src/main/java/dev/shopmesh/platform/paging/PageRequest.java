package dev.shopmesh.platform.paging;

import dev.shopmesh.platform.error.FieldViolations;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * One List call's paging (AIP-158): how many, after which id, and within which query ("scope",
 * so that a token cannot be replayed against other filters). Stores fetch {@link #fetchLimit()}
 * rows, one more than the page, after {@link #afterOrStart()}, so that {@link #page} knows whether a
 * next page exists. Pages are bounded in bytes as well as in rows ({@link #MAX_PAGE_BYTES}).
 */
public record PageRequest(int size, Optional<UUID> after, String scope, PageToken tokens) {

  /**
   * Validates {@code page_size} and {@code page_token} (against the service's {@code tokens}),
   * recording a violation for each bad one.
   */
  public static PageRequest of(
      PageToken tokens, int pageSize, String pageToken, String scope, FieldViolations violations) {
    int size = PageToken.pageSize(pageSize, violations, "page_size");
    Optional<UUID> after = tokens.decode(pageToken, scope, violations, "page_token");
    return new PageRequest(size, after, scope, tokens);
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

  /** The messages to return, and the token of the next page ("" on the last one). */
  public record Page<M>(List<M> items, String nextPageToken) {}

  /**
   * Largest page, in bytes of the response's repeated field: a page ends early, with a token,
   * before it would pass this. The largest allowed page of the largest allowed resources (1000
   * orders of 100 lines, about 9 MB) would otherwise pass gRPC's default 4 MiB client limit,
   * and the server's heap along the way.
   */
  public static final int MAX_PAGE_BYTES = 1 << 20;

  /** Rows rendered at a time, so that a page cut short by size renders little more than it returns. */
  static final int RENDER_CHUNK = 50;

  /**
   * The page of {@code fetched} (at most {@link #fetchLimit()} rows, in id order), rendered a
   * chunk at a time by {@code render}, ended at {@link #size()} rows or before
   * {@link #MAX_PAGE_BYTES}, whichever comes first. A page always holds at least one row, so
   * paging always moves on.
   */
  public <T, M extends MessageLite> Page<M> page(
      List<T> fetched, Function<T, UUID> id, Function<List<T>, List<M>> render) {
    int limit = Math.min(fetched.size(), size);
    List<M> out = new ArrayList<>();
    long bytes = 0;
    for (int from = 0; from < limit; from += RENDER_CHUNK) {
      List<M> rendered = render.apply(fetched.subList(from, Math.min(limit, from + RENDER_CHUNK)));
      for (M message : rendered) {
        long more = CodedOutputStream.computeMessageSizeNoTag(message) + 1L;
        if (!out.isEmpty() && bytes + more > MAX_PAGE_BYTES) {
          return new Page<>(out, tokens.encode(id.apply(fetched.get(out.size() - 1)), scope));
        }
        out.add(message);
        bytes += more;
      }
    }
    return fetched.size() > size
        ? new Page<>(out, tokens.encode(id.apply(fetched.get(limit - 1)), scope))
        : new Page<>(out, "");
  }

  /** {@link #page(List, Function, Function)} of resources rendered one row at a time. */
  public <T, M extends MessageLite> Page<M> pageOf(
      List<T> fetched, Function<T, UUID> id, Function<T, M> render) {
    return page(fetched, id, rows -> rows.stream().map(render).toList());
  }
}
