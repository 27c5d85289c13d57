package dev.shopmesh.platform.grpc;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Status;
import io.grpc.StatusOr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Resolves {@code static:///host1:port1,host2:port2} to one address group per listed host, so
 * that round_robin spreads calls over replicas on one machine (as {@code ./mesh up} runs them).
 * grpc-java resolves {@code dns:} targets itself but has no resolver for a fixed list.
 */
public final class StaticNameResolverProvider extends NameResolverProvider {
  static final String SCHEME = "static";

  /** A comma-separated {@code host:port} list becomes a {@code static:///} target. */
  static String normalize(String target) {
    return target.contains(",") && !target.contains("://") && !target.contains(":///")
        ? SCHEME + ":///" + target
        : target;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return 5;
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(InetSocketAddress.class);
  }

  @Override
  public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    if (!SCHEME.equals(targetUri.getScheme())) {
      return null;
    }
    String path = targetUri.getPath();
    String list = path.startsWith("/") ? path.substring(1) : path;
    return new StaticResolver(targetUri.getAuthority() == null ? list : targetUri.getAuthority(), list);
  }

  private static final class StaticResolver extends NameResolver {
    private final String authority;
    private final String list;
    private Listener2 listener;

    StaticResolver(String authority, String list) {
      this.authority = authority.isEmpty() ? list : authority;
      this.list = list;
    }

    @Override
    public String getServiceAuthority() {
      return authority.split(",")[0];
    }

    @Override
    public void start(Listener2 listener) {
      this.listener = listener;
      resolve();
    }

    @Override
    public void refresh() {
      resolve();
    }

    private void resolve() {
      List<EquivalentAddressGroup> groups = new ArrayList<>();
      try {
        for (String hostPort : list.split(",")) {
          int colon = hostPort.lastIndexOf(':');
          if (colon <= 0) {
            throw new IllegalArgumentException("expected host:port, got '" + hostPort + "'");
          }
          String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
          int port = Integer.parseInt(hostPort.substring(colon + 1));
          List<SocketAddress> addresses = new ArrayList<>();
          for (InetAddress address : InetAddress.getAllByName(host)) {
            addresses.add(new InetSocketAddress(address, port));
          }
          groups.add(new EquivalentAddressGroup(addresses));
        }
      } catch (UnknownHostException | IllegalArgumentException e) {
        listener.onResult(
            ResolutionResult.newBuilder()
                .setAddressesOrError(
                    StatusOr.fromStatus(
                        Status.UNAVAILABLE.withDescription("cannot resolve " + list).withCause(e)))
                .build());
        return;
      }
      listener.onResult(
          ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(groups)).build());
    }

    @Override
    public void shutdown() {}
  }
}
