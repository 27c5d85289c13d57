package dev.shopmesh.platform.grpc;

import dev.shopmesh.platform.auth.AccessRules;
import dev.shopmesh.platform.auth.AuthInterceptor;
import dev.shopmesh.platform.auth.TokenVerifier;
import dev.shopmesh.platform.error.ErrorMapping;
import dev.shopmesh.platform.telemetry.CallObserver;
import dev.shopmesh.platform.telemetry.Telemetry;
import dev.shopmesh.platform.tls.InternalCallers;
import dev.shopmesh.platform.tls.MeshTls;
import dev.shopmesh.platform.tls.TlsSettings;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
 *
 * <p><b>Internal listener.</b> A service with INTERNAL methods (Charge and Refund) also listens
 * on a mutual-TLS port that serves only those methods, plus health and reflection. Its plaintext
 * port serves the rest; there {@link InternalCallers} turns an INTERNAL method away, as it turns
 * away any caller whose certificate the method's rule does not name. Health stays plaintext for
 * Kubernetes' {@code grpc:} probes and compose's healthchecks (DESIGN.md, "Identity and access").
 */
public final class GrpcServer implements ServiceMain.Running {
  private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);

  /** Request headers a server accepts, all together (grpc-java's default is 8 KiB). */
  public static final int MAX_INBOUND_METADATA_BYTES = 16 * 1024;

  private final String name;
  private final Server server;
  private final Optional<Server> internal;
  private final HealthStatusManager health;
  private final ServerSettings settings;
  private final ExecutorService executor;
  private final List<AutoCloseable> resources;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);

  private GrpcServer(
      String name,
      Server server,
      Optional<Server> internal,
      HealthStatusManager health,
      ServerSettings settings,
      ExecutorService executor,
      List<AutoCloseable> resources) {
    this.name = name;
    this.server = server;
    this.internal = internal;
    this.health = health;
    this.settings = settings;
    this.executor = executor;
    this.resources = resources;
  }

  /** A Netty server builder on {@code BIND_HOST:PORT} with the transport limits applied. */
  public static NettyServerBuilder netty(ServerSettings settings) {
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(settings.address(settings.port()))
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
   * A Netty builder for the internal listener on {@code port}: the same limits, TLS 1.3 with the
   * service's mesh certificate, a client certificate from the mesh CA required.
   */
  public static NettyServerBuilder nettyMutualTls(ServerSettings settings, int port, TlsSettings tls) {
    return netty(settings.withPort(port)).sslContext(MeshTls.server(tls));
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
    return start(name, builder, Optional.empty(), settings, telemetry, null, verifier, services, resources);
  }

  /**
   * The same, with an internal listener: {@code internal} ({@link #nettyMutualTls}) serves the
   * services' INTERNAL methods, over mutual TLS, and health and reflection.
   */
  public static GrpcServer start(
      String name,
      ServerBuilder<?> builder,
      Optional<? extends ServerBuilder<?>> internal,
      ServerSettings settings,
      Telemetry telemetry,
      TokenVerifier verifier,
      List<? extends BindableService> services,
      List<? extends AutoCloseable> resources) {
    return start(name, builder, internal, settings, telemetry, null, verifier, services, resources);
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
    return start(name, builder, Optional.empty(), settings, telemetry, rules, verifier, services, resources);
  }

  private static GrpcServer start(
      String name,
      ServerBuilder<?> builder,
      Optional<? extends ServerBuilder<?>> internal,
      ServerSettings settings,
      Telemetry telemetry,
      AccessRules rules,
      TokenVerifier verifier,
      List<? extends BindableService> services,
      List<? extends AutoCloseable> resources) {
    HealthStatusManager health = new HealthStatusManager();
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    List<ServerServiceDefinition> apis = services.stream().map(BindableService::bindService).toList();
    AuthInterceptor auth = new AuthInterceptor(rules != null ? rules : AccessRules.ofDefinitions(apis), verifier);
    configure(builder, executor, settings, health);
    for (ServerServiceDefinition api : apis) {
      builder.addService(intercepted(api, auth, telemetry));
    }
    internal.ifPresent(
        b -> {
          configure(b, executor, settings, health);
          apis.stream().flatMap(api -> internalOnly(api).stream()).forEach(api -> b.addService(intercepted(api, auth, telemetry)));
        });
    Server server;
    try {
      server = builder.build().start();
    } catch (IOException e) {
      executor.shutdown();
      throw new UncheckedIOException(name + ": cannot listen on port " + settings.port(), e);
    }
    Optional<Server> internalServer;
    try {
      internalServer = internal.isPresent() ? Optional.of(internal.get().build().start()) : Optional.empty();
    } catch (IOException e) {
      server.shutdownNow();
      executor.shutdown();
      throw new UncheckedIOException(name + ": cannot listen on its internal (mutual TLS) port", e);
    }
    for (ServerServiceDefinition api : apis) {
      health.setStatus(api.getServiceDescriptor().getName(), ServingStatus.SERVING);
    }
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    return new GrpcServer(name, server, internalServer, health, settings, executor, new ArrayList<>(resources));
  }

  private static void configure(
      ServerBuilder<?> builder, ExecutorService executor, ServerSettings settings, HealthStatusManager health) {
    builder
        .executor(executor)
        .maxInboundMessageSize(settings.maxInboundMessageBytes())
        .addService(WellFormedRequests.of(health.getHealthService().bindService()))
        .addService(WellFormedRequests.of(ProtoReflectionServiceV1.newInstance().bindService()))
        .addService(WellFormedRequests.of(ProtoReflectionService.newInstance().bindService()));
  }

  private static ServerServiceDefinition intercepted(
      ServerServiceDefinition api, AuthInterceptor auth, Telemetry telemetry) {
    // The last interceptor runs first: tracing sees the status that error mapping (or an
    // access check) chose, and the call observer runs inside the call's span. Malformed
    // requests are refused below them all, so that they are traced and logged like any other
    // INVALID_ARGUMENT; the access checks come before that (AIP-211: permission first): tokens
    // (AuthInterceptor), then the peer's certificate for INTERNAL methods (InternalCallers).
    return ServerInterceptors.intercept(
        WellFormedRequests.of(api),
        new InternalCallers(),
        auth,
        new ClientAddress(),
        new ErrorMapping(),
        new CallObserver(),
        telemetry.serverInterceptor());
  }

  /** {@code api} cut down to its INTERNAL methods, if it has any. */
  static Optional<ServerServiceDefinition> internalOnly(ServerServiceDefinition api) {
    List<ServerMethodDefinition<?, ?>> methods =
        api.getMethods().stream().filter(m -> InternalCallers.isInternal(m.getMethodDescriptor())).toList();
    if (methods.isEmpty()) {
      return Optional.empty();
    }
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(api.getServiceDescriptor().getName())
            .setSchemaDescriptor(api.getServiceDescriptor().getSchemaDescriptor());
    methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
    ServerServiceDefinition.Builder cut = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(cut::addMethod);
    return Optional.of(cut.build());
  }

  /** The port the server listens on (useful when it was started on port 0). */
  public int port() {
    return server.getPort();
  }

  /** The internal (mutual TLS) port, if the server has one. */
  public Optional<Integer> internalPort() {
    return internal.map(Server::getPort);
  }

  public String name() {
    return name;
  }

  @Override
  public String listening() {
    return "gRPC on port " + port() + internalPort().map(p -> ", internal methods over mutual TLS on port " + p).orElse("");
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
      internal.ifPresent(Server::shutdown);
      if (!awaitTermination(settings.shutdownDrain())) {
        log.warn("{}: calls still running after {}, cancelling them", name, settings.shutdownDrain());
        server.shutdownNow();
        internal.ifPresent(Server::shutdownNow);
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
      long deadline = System.nanoTime() + timeout.toNanos();
      boolean done = server.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (internal.isPresent()) {
        long left = Math.max(0, deadline - System.nanoTime());
        done &= internal.get().awaitTermination(left, TimeUnit.NANOSECONDS);
      }
      return done;
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
