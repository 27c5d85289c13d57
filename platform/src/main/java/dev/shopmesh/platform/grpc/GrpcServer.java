package dev.shopmesh.platform.grpc;

import dev.shopmesh.platform.auth.AccessRules;
import dev.shopmesh.platform.auth.AuthInterceptor;
import dev.shopmesh.platform.auth.TokenVerifier;
import dev.shopmesh.platform.error.ErrorMapping;
import dev.shopmesh.platform.telemetry.CallObserver;
import dev.shopmesh.platform.telemetry.Telemetry;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's gRPC server: its API services plus {@code grpc.health.v1} and server reflection
 * (v1 and v1alpha), on virtual threads, with one shutdown path.
 *
 * <p><b>Access.</b> Every API method is guarded by {@link AuthInterceptor}, with the rules its
 * contract declares ({@link AccessRules}) and access tokens checked by the given
 * {@link TokenVerifier}. Health and reflection are public: probes need health without a token,
 * and reflection describes only the published contracts.
 *
 * <p><b>Executor.</b> Every call runs on its own virtual thread. Service code is plain blocking
 * JDBC and blocking stubs; a virtual thread parks cheaply while it waits for PostgreSQL or a
 * peer, so concurrency is bounded by the connection pool and the limits below, not by a thread
 * pool size that would have to be tuned against them. pgjdbc and HikariCP lock with
 * {@code ReentrantLock}s, which do not pin carrier threads.
 *
 * <p><b>Malformed requests.</b> Bytes that do not parse as the method's request message, and a
 * unary call with two messages or none, are INVALID_ARGUMENT with the parser's reason, in every
 * service including health and reflection ({@link WellFormedRequests}); grpc-java on its own
 * answers them UNKNOWN or INTERNAL.
 *
 * <p><b>Shutdown.</b> Health turns NOT_SERVING, the server waits {@code shutdownNotice}, stops
 * taking calls and gives in-flight ones {@code shutdownDrain} to finish, then cancels what is
 * left and closes the resources (the database pool last of all, after the calls that use it).
 */
public final class GrpcServer implements ServiceMain.Running {
  private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);

  /** Request headers a server accepts, all together (grpc-java's default is 8 KiB). */
  public static final int MAX_INBOUND_METADATA_BYTES = 16 * 1024;

  private final String name;
  private final Server server;
  private final HealthStatusManager health;
  private final ServerSettings settings;
  private final ExecutorService executor;
  private final List<AutoCloseable> resources;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);

  private GrpcServer(
      String name,
      Server server,
      HealthStatusManager health,
      ServerSettings settings,
      ExecutorService executor,
      List<AutoCloseable> resources) {
    this.name = name;
    this.server = server;
    this.health = health;
    this.settings = settings;
    this.executor = executor;
    this.resources = resources;
  }

  /** A Netty server builder on {@code settings.port()} with the transport limits applied. */
  public static NettyServerBuilder netty(ServerSettings settings) {
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(settings.port()))
            .maxConcurrentCallsPerConnection(settings.maxConcurrentCallsPerConnection())
            // Headers up to 16 KiB reach the access check, so that an access token over its
            // 8 KiB limit is UNAUTHENTICATED there rather than a transport error.
            .maxInboundMetadataSize(MAX_INBOUND_METADATA_BYTES)
            .keepAliveTime(settings.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveTimeout(settings.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .permitKeepAliveTime(settings.permitKeepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
            .permitKeepAliveWithoutCalls(true);
    if (!settings.maxConnectionAge().isZero()) {
      // GOAWAY after the age, then the grace for calls in flight: clients re-resolve and
      // spread over the replicas that exist now (ServerSettings.maxConnectionAge).
      builder
          .maxConnectionAge(settings.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
          .maxConnectionAgeGrace(settings.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS);
    }
    return builder;
  }

  /**
   * Builds and starts the server.
   *
   * @param builder a {@link #netty} builder in production; tests may pass an in-process one
   * @param verifier checks the access tokens of calls to non-public methods
   * @param services the service's API; each gets access control, error mapping and tracing
   * @param resources closed after the server has stopped, in the given order: telemetry before
   *     the database, so that its last flush still finds what it observes
   */
  public static GrpcServer start(
      String name,
      ServerBuilder<?> builder,
      ServerSettings settings,
      Telemetry telemetry,
      TokenVerifier verifier,
      List<? extends BindableService> services,
      List<? extends AutoCloseable> resources) {
    return start(name, builder, settings, telemetry, null, verifier, services, resources);
  }

  /**
   * The same, with access rules given by hand instead of read from the services' descriptors
   * (for services whose contracts cannot carry the access option, such as grpc-java's test
   * services); {@code rules == null} reads them from the descriptors.
   */
  public static GrpcServer start(
      String name,
      ServerBuilder<?> builder,
      ServerSettings settings,
      Telemetry telemetry,
      AccessRules rules,
      TokenVerifier verifier,
      List<? extends BindableService> services,
      List<? extends AutoCloseable> resources) {
    HealthStatusManager health = new HealthStatusManager();
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    builder
        .executor(executor)
        .maxInboundMessageSize(settings.maxInboundMessageBytes())
        .addService(WellFormedRequests.of(health.getHealthService().bindService()))
        .addService(WellFormedRequests.of(ProtoReflectionServiceV1.newInstance().bindService()))
        .addService(WellFormedRequests.of(ProtoReflectionService.newInstance().bindService()));
    List<ServerServiceDefinition> apis = services.stream().map(BindableService::bindService).toList();
    AuthInterceptor auth = new AuthInterceptor(rules != null ? rules : AccessRules.ofDefinitions(apis), verifier);
    for (ServerServiceDefinition api : apis) {
      // The last interceptor runs first: tracing sees the status that error mapping (or the
      // access check) chose, and the call observer runs inside the call's span. Malformed
      // requests are refused below them all, so that they are traced and logged like any other
      // INVALID_ARGUMENT; the access check comes before that (AIP-211: permission first).
      builder.addService(
          ServerInterceptors.intercept(
              WellFormedRequests.of(api),
              auth,
              new ClientAddress(),
              new ErrorMapping(),
              new CallObserver(),
              telemetry.serverInterceptor()));
    }
    Server server;
    try {
      server = builder.build().start();
    } catch (IOException e) {
      executor.shutdown();
      throw new UncheckedIOException(name + ": cannot listen on port " + settings.port(), e);
    }
    for (ServerServiceDefinition api : apis) {
      health.setStatus(api.getServiceDescriptor().getName(), ServingStatus.SERVING);
    }
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    return new GrpcServer(name, server, health, settings, executor, new ArrayList<>(resources));
  }

  /** The port the server listens on (useful when it was started on port 0). */
  public int port() {
    return server.getPort();
  }

  public String name() {
    return name;
  }

  @Override
  public String listening() {
    return "gRPC on port " + port();
  }

  /** Waits until {@link #stop()} has finished. */
  @Override
  public void awaitStopped() throws InterruptedException {
    stopped.await();
  }

  /**
   * Drains and stops the server, then closes its resources. Safe to call more than once and
   * from several threads; every caller returns once the server has stopped.
   */
  @Override
  public void stop() {
    if (!stopping.compareAndSet(false, true)) {
      awaitQuietly();
      return;
    }
    try {
      health.enterTerminalState();
      sleep(settings.shutdownNotice());
      server.shutdown();
      if (!awaitTermination(settings.shutdownDrain())) {
        log.warn("{}: calls still running after {}, cancelling them", name, settings.shutdownDrain());
        server.shutdownNow();
        awaitTermination(Duration.ofSeconds(5));
      }
      executor.shutdown();
      for (AutoCloseable resource : resources) {
        try {
          resource.close();
        } catch (Exception e) {
          log.warn("{}: closing {} failed", name, resource, e);
        }
      }
    } finally {
      stopped.countDown();
    }
  }

  private boolean awaitTermination(Duration timeout) {
    try {
      return server.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void awaitQuietly() {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(Duration d) {
    if (d.isZero()) {
      return;
    }
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
