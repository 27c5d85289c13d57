package dev.shopmesh.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.shopmesh.payment.v1.ChargeRequest;
import dev.shopmesh.payment.v1.PaymentServiceGrpc;
import dev.shopmesh.user.v1.CreateUserRequest;
import dev.shopmesh.user.v1.GetUserRequest;
import dev.shopmesh.user.v1.User;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import dev.shopmesh.testkit.TestIdentity;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.StatusProto;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The edge's gRPC port: the proxy, merged reflection (v1 and v1alpha) and health. */
class GrpcProxyTest {
  @RegisterExtension static final MeshExtension MESH = new MeshExtension();

  private static final List<String> EXPECTED_SERVICES =
      List.of(
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection",
          "shopmesh.order.v1.OrderService",
          "shopmesh.payment.v1.PaymentService",
          "shopmesh.user.v1.SessionService",
          "shopmesh.user.v1.UserService");

  private static ManagedChannel channel;

  @BeforeAll
  static void connect() {
    // The proxy is walked as an admin; what anonymous clients and customers get is AccessControlTest's.
    channel =
        ManagedChannelBuilder.forAddress("localhost", MESH.mesh().grpcPort())
            .usePlaintext()
            .intercept(TestIdentity.bearerInterceptor(TestIdentity.shared().adminToken()))
            .build();
  }

  @AfterAll
  static void disconnect() {
    channel.shutdownNow();
  }

  /** One request on a reflection v1 stream, and its one response. */
  private static ServerReflectionResponse reflect(ServerReflectionRequest request) throws Exception {
    CompletableFuture<ServerReflectionResponse> reply = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverReflectionInfo(observer(reply));
    requests.onNext(request);
    requests.onCompleted();
    return reply.get(10, TimeUnit.SECONDS);
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> reply) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        reply.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        reply.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        reply.completeExceptionally(new IllegalStateException("no response"));
      }
    };
  }

  /** The files of a file_containing_symbol answer, built into descriptors as a client would. */
  private static Map<String, FileDescriptor> filesContaining(String symbol) throws Exception {
    ServerReflectionResponse r =
        reflect(ServerReflectionRequest.newBuilder().setFileContainingSymbol(symbol).build());
    assertThat(r.hasErrorResponse()).as(r.getErrorResponse().getErrorMessage()).isFalse();
    Map<String, FileDescriptorProto> protos = new HashMap<>();
    for (ByteString bytes : r.getFileDescriptorResponse().getFileDescriptorProtoList()) {
      FileDescriptorProto p = FileDescriptorProto.parseFrom(bytes);
      protos.put(p.getName(), p);
    }
    // The answer holds the file and what it imports, transitively: enough to build it.
    Map<String, FileDescriptor> built = new HashMap<>();
    for (String name : protos.keySet()) {
      build(name, protos, built);
    }
    return built;
  }

  private static FileDescriptor build(String name, Map<String, FileDescriptorProto> protos, Map<String, FileDescriptor> built)
      throws Exception {
    if (built.containsKey(name)) {
      return built.get(name);
    }
    FileDescriptorProto proto = protos.get(name);
    assertThat(proto).as("reflection sent " + name).isNotNull();
    List<FileDescriptor> deps = new ArrayList<>();
    for (String dep : proto.getDependencyList()) {
      deps.add(build(dep, protos, built));
    }
    FileDescriptor fd = FileDescriptor.buildFrom(proto, deps.toArray(FileDescriptor[]::new));
    built.put(name, fd);
    return fd;
  }

  @Test
  void reflectionV1ListsThePublicServicesHealthAndReflection() throws Exception {
    ServerReflectionResponse r = reflect(ServerReflectionRequest.newBuilder().setListServices("").build());

    assertThat(r.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName))
        .containsExactlyInAnyOrderElementsOf(EXPECTED_SERVICES);
  }

  @Test
  void reflectionV1alphaListsTheSame() throws Exception {
    CompletableFuture<io.grpc.reflection.v1alpha.ServerReflectionResponse> reply = new CompletableFuture<>();
    var requests =
        io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverReflectionInfo(observer(reply));
    requests.onNext(io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();

    assertThat(reply.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
            .map(io.grpc.reflection.v1alpha.ServiceResponse::getName))
        .containsExactlyInAnyOrderElementsOf(EXPECTED_SERVICES);
  }

  @Test
  void describingPaymentServiceShowsNoInternalMethods() throws Exception {
    Map<String, FileDescriptor> files = filesContaining("shopmesh.payment.v1.PaymentService");

    var service = files.get("shopmesh/payment/v1/payment_service.proto").findServiceByName("PaymentService");
    assertThat(service.getMethods().stream().map(m -> m.getName())).containsExactly("GetPayment", "ListPayments");
    // Messages and the http options stay, so grpcurl can describe and call the methods.
    assertThat(files.get("shopmesh/payment/v1/payment_service.proto").findMessageTypeByName("Payment")).isNotNull();
    assertThat(files).containsKeys("google/api/annotations.proto", "google/protobuf/timestamp.proto");
  }

  @Test
  void commentsFollowTheMethodsTheyDescribe() throws Exception {
    ServerReflectionResponse r =
        reflect(ServerReflectionRequest.newBuilder().setFileContainingSymbol("shopmesh.payment.v1.PaymentService").build());
    FileDescriptorProto file = null;
    for (ByteString bytes : r.getFileDescriptorResponse().getFileDescriptorProtoList()) {
      FileDescriptorProto p = FileDescriptorProto.parseFrom(bytes);
      if (p.getName().equals("shopmesh/payment/v1/payment_service.proto")) {
        file = p;
      }
    }
    assertThat(file).isNotNull();
    ServiceDescriptorProto service = file.getService(0);
    Map<String, String> comments = new HashMap<>();
    for (var loc : file.getSourceCodeInfo().getLocationList()) {
      if (loc.getPathCount() == 4 && loc.getPath(0) == 6 && loc.getPath(2) == 2) {
        MethodDescriptorProto m = service.getMethod(loc.getPath(3));
        comments.put(m.getName(), loc.getLeadingComments().strip());
      }
    }
    assertThat(comments).containsOnlyKeys("GetPayment", "ListPayments");
    assertThat(comments.get("GetPayment")).startsWith("Gets one payment.");
  }

  @Test
  void internalMethodsAreUnknownSymbols() throws Exception {
    ServerReflectionResponse r =
        reflect(ServerReflectionRequest.newBuilder().setFileContainingSymbol("shopmesh.payment.v1.PaymentService.Charge").build());

    assertThat(r.getErrorResponse().getErrorCode()).isEqualTo(Status.Code.NOT_FOUND.value());
  }

  @Test
  void theProxyCarriesCallsToTheBackend() {
    var users = UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    User created =
        users.createUser(
            CreateUserRequest.newBuilder()
                .setUser(User.newBuilder().setName("Katherine Johnson").setEmail("k" + UUID.randomUUID() + "@example.com").setPassword(TestIdentity.PASSWORD))
                .build());

    User fetched = users.getUser(GetUserRequest.newBuilder().setUserId(created.getUserId()).build());

    assertThat(fetched).isEqualTo(created);
  }

  @Test
  void anOrderPlacedThroughTheProxyIsChargedByTheBackends() {
    User user =
        UserServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .createUser(
                CreateUserRequest.newBuilder()
                    .setUser(User.newBuilder().setName("Mary Jackson").setEmail("m" + UUID.randomUUID() + "@example.com").setPassword(TestIdentity.PASSWORD))
                    .build());
    var orders = dev.shopmesh.order.v1.OrderServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);

    var order =
        orders.createOrder(
            dev.shopmesh.order.v1.CreateOrderRequest.newBuilder()
                .setOrder(
                    dev.shopmesh.order.v1.Order.newBuilder()
                        .setUserId(user.getUserId())
                        .setCurrencyCode("EUR")
                        .addItems(dev.shopmesh.order.v1.LineItem.newBuilder().setSku("MAP").setQuantity(1).setUnitPriceMinor(1500)))
                .build());

    assertThat(order.getState()).isEqualTo(dev.shopmesh.order.v1.Order.State.CONFIRMED);
    var payment =
        PaymentServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .getPayment(dev.shopmesh.payment.v1.GetPaymentRequest.newBuilder().setPaymentId(order.getPaymentId()).build());
    assertThat(payment.getAmountMinor()).isEqualTo(1500);
  }

  @Test
  void backendErrorsPassThroughWithTheirDetails() throws InvalidProtocolBufferException {
    var users = UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    String id = UUID.randomUUID().toString();

    Throwable error = org.assertj.core.api.Assertions.catchThrowable(
        () -> users.getUser(GetUserRequest.newBuilder().setUserId(id).build()));

    assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.NOT_FOUND);
    com.google.rpc.Status details = StatusProto.fromThrowable(error);
    assertThat(details).isNotNull();
    assertThat(details.getDetails(0).unpack(ErrorInfo.class).getReason()).isEqualTo("USER_NOT_FOUND");
  }

  @Test
  void internalMethodsAreUnimplemented() {
    var payments = PaymentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);

    assertThatThrownBy(
            () -> payments.charge(ChargeRequest.newBuilder().setOrderId("o-1").setUserId("u-1").setAmountMinor(100).setCurrencyCode("EUR").build()))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
  }

  @Test
  void healthReportsTheEdgeAndEachPublicService() {
    var health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);

    assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(health.check(HealthCheckRequest.newBuilder().setService("shopmesh.user.v1.UserService").build()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }
}
