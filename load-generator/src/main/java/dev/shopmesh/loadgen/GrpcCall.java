package dev.shopmesh.loadgen;

import dev.shopmesh.order.v1.Order;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/**
 * The answer to one async unary call, as an outcome name. An {@link Order} answer is OK only when
 * the order is CONFIRMED.
 */
final class GrpcCall<T> extends CompletableFuture<String> implements StreamObserver<T> {
  private volatile String outcome = Operation.OK;

  @Override
  public void onNext(T value) {
    if (value instanceof Order order) {
      outcome = Outcomes.order(order.getState().name());
    }
  }

  @Override
  public void onError(Throwable t) {
    complete(Outcomes.of(t));
  }

  @Override
  public void onCompleted() {
    complete(outcome);
  }
}
