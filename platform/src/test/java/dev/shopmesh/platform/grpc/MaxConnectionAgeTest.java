package dev.shopmesh.platform.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.telemetry.Telemetry;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * GRPC_MAX_CONNECTION_AGE: a grpc-java client resolves its target again only when a connection
 * goes away, so a server that never ends connections keeps every existing client on the
 * replicas that were there when it connected.
 */
class MaxConnectionAgeTest {
  private final List<GrpcServer> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(GrpcServer::stop);
  }

  @Test
  void theSettingDefaultsToTwoMinutesWithGraceForTheLongestDeadline() {
    ServerSettings settings = ServerSettings.from(Env.of(Map.of()), 0);

    assertThat(settings.maxConnectionAge()).isEqualTo(Duration.ofMinutes(2));
    assertThat(settings.maxConnectionAgeGrace()).isGreaterThan(Duration.ofSeconds(30));
    assertThat(ServerSettings.from(Env.of(Map.of("GRPC_MAX_CONNECTION_AGE", "0")), 0).maxConnectionAge())
        .as("0 turns it off").isZero();
  }

  @Test
  void aClientConnectedBeforeAReplicaExistedReachesItOnceItsConnectionsAge() throws Exception {
    AtomicInteger first = new AtomicInteger();
    AtomicInteger second = new AtomicInteger();
    GrpcServer a = server(first);
    MutableResolver resolver = new MutableResolver(List.of(a.port()));
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = client(resolver);
    for (int i = 0; i < 20; i++) {
      stub.unaryRpc(SimpleRequest.getDefaultInstance());
    }

    // A scale-out: the name now resolves to two replicas, but nobody tells the client.
    GrpcServer b = server(second);
    resolver.addresses = List.of(a.port(), b.port());

    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (second.get() == 0 && System.nanoTime() < giveUp) {
      stub.withDeadlineAfter(5, TimeUnit.SECONDS).unaryRpc(SimpleRequest.getDefaultInstance());
      Thread.sleep(20);
    }

    assertThat(second.get()).as("calls that reached the replica added after the client connected").isPositive();
    assertThat(resolver.resolutions.get()).as("the client resolved its target again").isGreaterThan(1);
  }

  private GrpcServer server(AtomicInteger calls) {
    var service =
        new SimpleServiceGrpc.SimpleServiceImplBase() {
          @Override
          public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> response) {
            calls.incrementAndGet();
            response.onNext(SimpleResponse.getDefaultInstance());
            response.onCompleted();
          }
        };
    ServerSettings settings =
        ServerSettings.from(
            Env.of(Map.of("PORT", "0", "GRPC_MAX_CONNECTION_AGE", "500ms", "GRPC_MAX_CONNECTION_AGE_GRACE", "2s")), 0);
    GrpcServer server =
        GrpcServer.start("test", GrpcServer.netty(settings), settings, Telemetry.noop(), TestAccess.SIMPLE_SERVICE_PUBLIC, TestAccess.NO_KEYS, List.of(service), List.of());
    servers.add(server);
    return server;
  }

  private SimpleServiceGrpc.SimpleServiceBlockingStub client(MutableResolver resolver) {
    String scheme = "mutable" + System.identityHashCode(resolver);
    NameResolverRegistry.getDefaultRegistry().register(resolver.provider(scheme));
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget(scheme + ":///shop")
            .defaultLoadBalancingPolicy("round_robin")
            .usePlaintext()
            .build();
    channels.add(channel);
    return SimpleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
  }

  /** A DNS stand-in: answers with the current addresses each time the channel asks. */
  private static final class MutableResolver {
    volatile List<Integer> addresses;
    final AtomicInteger resolutions = new AtomicInteger();
    final List<NameResolver.Listener2> listeners = new CopyOnWriteArrayList<>();

    MutableResolver(List<Integer> ports) {
      this.addresses = ports;
    }

    NameResolverProvider provider(String scheme) {
      return new NameResolverProvider() {
        @Override
        public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
          if (!scheme.equals(targetUri.getScheme())) {
            return null;
          }
          return new NameResolver() {
            private Listener2 listener;

            @Override
            public String getServiceAuthority() {
              return "shop";
            }

            @Override
            public void start(Listener2 l) {
              listener = l;
              resolve();
            }

            @Override
            public void refresh() {
              resolve();
            }

            private void resolve() {
              resolutions.incrementAndGet();
              List<EquivalentAddressGroup> groups = new ArrayList<>();
              for (int port : addresses) {
                SocketAddress address = new InetSocketAddress("127.0.0.1", port);
                groups.add(new EquivalentAddressGroup(address));
              }
              listener.onResult(ResolutionResult.newBuilder().setAddresses(groups).build());
            }

            @Override
            public void shutdown() {}
          };
        }

        @Override
        public String getDefaultScheme() {
          return scheme;
        }

        @Override
        protected boolean isAvailable() {
          return true;
        }

        @Override
        protected int priority() {
          return 4;
        }
      };
    }
  }
}
