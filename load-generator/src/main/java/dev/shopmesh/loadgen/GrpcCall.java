package dev.shopmesh.loadgen;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/** The answer to one async unary call, as an outcome name. */
final class GrpcCall<T> extends CompletableFuture<String> implements StreamObserver<T> {
  @Override
  public void onNext(T value) {
    // only the outcome counts
  }

  @Override
  public void onError(Throwable t) {
    complete(Outcomes.of(t));
  }

  @Override
  public void onCompleted() {
    complete(Operation.OK);
  }
}
