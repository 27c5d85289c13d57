package dev.shopmesh.cluster;

import dev.shopmesh.platform.config.Env;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** What the Java edge's merged server reflection lists, asked of the running edge. */
final class ReflectionListing {
  private ReflectionListing() {}

  static List<String> listedByTheJavaEdge() throws Exception {
    Class<?> main = ServiceModules.mainClass(ServiceModules.find("edge-rest-adapter").orElseThrow());
    var edge = ServiceModules.start(main, Env.of(Map.of("HTTP_PORT", "0", "GRPC_PORT", "0", "SHUTDOWN_DRAIN", "1s")));
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", edge.grpcPort()).usePlaintext().build();
    try {
      CompletableFuture<ServerReflectionResponse> reply = new CompletableFuture<>();
      var requests = ServerReflectionGrpc.newStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .serverReflectionInfo(new StreamObserver<>() {
            @Override
            public void onNext(ServerReflectionResponse r) {
              reply.complete(r);
            }

            @Override
            public void onError(Throwable t) {
              reply.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
          });
      requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
      requests.onCompleted();
      return reply.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList();
    } finally {
      channel.shutdownNow();
      edge.stop();
    }
  }

  /** The methods a listed service has: the contracts' public ones, or grpc's own services'. */
  static List<String> methods(String service) {
    ServiceDescriptor builtIn = switch (service) {
      case "grpc.health.v1.Health" -> io.grpc.health.v1.HealthGrpc.getServiceDescriptor();
      case "grpc.reflection.v1.ServerReflection" -> ServerReflectionGrpc.getServiceDescriptor();
      case "grpc.reflection.v1alpha.ServerReflection" -> io.grpc.reflection.v1alpha.ServerReflectionGrpc.getServiceDescriptor();
      default -> null;
    };
    if (builtIn != null) {
      return builtIn.getMethods().stream().map(MethodDescriptor::getBareMethodName).toList();
    }
    List<String> methods = Descriptors.shopmeshRpcs().stream()
        .filter(r -> r.service().equals(service) && r.isPublic()).map(Descriptors.Rpc::method).toList();
    if (methods.isEmpty()) {
      throw new AssertionError("reflection lists " + service + ", which has no public method in the contracts");
    }
    return methods;
  }
}
