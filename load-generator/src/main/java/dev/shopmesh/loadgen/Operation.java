package dev.shopmesh.loadgen;

import java.util.concurrent.CompletableFuture;

/**
 * One kind of request. {@link #send} starts one and returns at once; the future completes with
 * {@link #OK} or the name of what went wrong (a gRPC status code such as {@code UNAVAILABLE}, an
 * HTTP status such as {@code HTTP 503}, or a transport failure such as {@code CONNECT_FAILED}).
 */
@FunctionalInterface
interface Operation {
  String OK = "OK";

  CompletableFuture<String> send();
}
