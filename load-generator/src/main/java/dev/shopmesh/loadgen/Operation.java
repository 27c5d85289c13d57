package dev.shopmesh.loadgen;

import java.util.concurrent.CompletableFuture;

/**
 * One kind of request. {@link #send} starts one and returns at once; the future completes with
 * {@link #OK} or the name of what went wrong (a gRPC status code such as {@code UNAVAILABLE}, an
 * HTTP status such as {@code HTTP 503}, or a transport failure such as {@code CONNECT_FAILED}). A
 * create-order is {@link #OK} only when its order came back CONFIRMED.
 */
@FunctionalInterface
interface Operation {
  String OK = "OK";

  /** A CreateOrder that was answered, but whose order is not CONFIRMED: counted apart from ok. */
  String PENDING = "order PENDING_PAYMENT";

  String DECLINED = "order PAYMENT_DECLINED";

  /** An answered request that is not a success: the outcomes above. They are not errors either. */
  static boolean unsuccessful(String status) {
    return status.startsWith("order ");
  }

  CompletableFuture<String> send();
}
