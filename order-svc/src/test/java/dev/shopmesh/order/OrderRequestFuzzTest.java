package dev.shopmesh.order;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.shopmesh.order.v1.CreateOrderRequest;
import dev.shopmesh.order.v1.ListOrdersRequest;
import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.error.FieldViolations;
import dev.shopmesh.platform.paging.PageRequest;
import dev.shopmesh.platform.paging.PageToken;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Coverage-guided fuzzing of order-svc's request validation: request bytes, as a client sends
 * them, parsed and checked exactly as {@link OrderApi} does before anything reaches the saga or
 * the database. The property: a malformed message fails to parse with
 * {@link InvalidProtocolBufferException} (which the server answers INVALID_ARGUMENT), and a
 * parsed one either passes or is refused with INVALID_ARGUMENT whose trailers fit grpc-java's
 * 8 KiB metadata limit. Nothing else: no other exception, no INTERNAL or UNKNOWN.
 *
 * <p>{@code ./mesh test} runs the committed corpora in {@code OrderRequestFuzzTestInputs/};
 * {@code ./mesh fuzz} runs the fuzzer for a set time.
 */
class OrderRequestFuzzTest {
  /** grpc-java's default limit on received metadata (headers or trailers). */
  private static final int METADATA_LIMIT = 8192;

  private static final PageToken TOKENS = PageToken.forKey(new byte[32]);

  @FuzzTest
  void aCreateOrderRequestIsValidOrInvalidArgument(byte[] bytes) {
    CreateOrderRequest request;
    try {
      request = CreateOrderRequest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException malformed) {
      return;
    }
    // OrderApi.createOrder's checks, in its order.
    var violations = new FieldViolations();
    violations.check(request.hasOrder(), "order", "is required");
    NewOrder order = NewOrder.validate(request.getOrder(), violations);
    Ids.requestId(request.getRequestId(), violations);
    assertRefusedCleanlyOrValid(violations);
    if (violations.isEmpty()) {
      assertThat(order).isNotNull();
      assertThat(order.totalMinor()).isPositive();
      assertThat(order.items()).hasSizeBetween(1, NewOrder.MAX_ITEMS);
    }
  }

  @FuzzTest
  void aListOrdersRequestIsValidOrInvalidArgument(byte[] bytes) {
    ListOrdersRequest request;
    try {
      request = ListOrdersRequest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException malformed) {
      return;
    }
    var violations = new FieldViolations();
    if (!request.getUserId().isEmpty()) {
      Ids.parse(request.getUserId(), violations, "user_id", "a user id");
    }
    PageRequest.of(TOKENS, request.getPageSize(), request.getPageToken(), "orders|" + request.getUserId(), violations);
    assertRefusedCleanlyOrValid(violations);
  }

  static void assertRefusedCleanlyOrValid(FieldViolations violations) {
    try {
      violations.throwIfAny(OrderSaga.ERRORS);
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(metadataBytes(e.getTrailers()) + e.getStatus().getDescription().length())
          .as("trailers and message within grpc-java's metadata limit")
          .isLessThan(METADATA_LIMIT);
    }
  }

  private static int metadataBytes(Metadata trailers) {
    int size = 0;
    if (trailers != null) {
      for (byte[] part : io.grpc.InternalMetadata.serialize(trailers)) {
        size += part.length + 32; // HPACK's per-entry overhead
      }
    }
    return size;
  }
}
