package dev.shopmesh.edge;

import com.google.api.HttpRule;
import com.google.protobuf.Descriptors.MethodDescriptor;
import dev.shopmesh.edge.Contracts.PublicMethod;
import dev.shopmesh.edge.PathTemplate.Binding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every REST route, derived from the http rules of the public methods, and the lookup of a
 * request's method and path among them.
 *
 * <p>As in Envoy's path matcher: the query string is not part of the path; a last segment
 * {@code name:verb} is split into path and custom verb only when some rule uses that verb;
 * trailing slashes are ignored; among the templates that match, the most specific wins (a
 * literal over {@code *} over {@code **}). Unlike Envoy, a path that matches under another HTTP
 * method is reported as such, so that the edge can answer 405 instead of 404.
 */
public final class RouteTable {
  /** One REST binding of one public method. */
  public record Route(String httpMethod, PathTemplate template, String body, PublicMethod method) {
    public MethodDescriptor descriptor() {
      return method.method();
    }
  }

  /** The result of a lookup. */
  public sealed interface Lookup permits Found, MethodNotAllowed, NotFound {}

  public record Found(Route route, List<Binding> bindings) implements Lookup {}

  /** The path exists, but not for this method; {@code allowed} lists the methods it has. */
  public record MethodNotAllowed(Set<String> allowed) implements Lookup {}

  public record NotFound() implements Lookup {}

  private final List<Route> routes;
  private final Set<String> customVerbs = new HashSet<>();

  public RouteTable(List<PublicMethod> methods) {
    List<Route> all = new ArrayList<>();
    for (PublicMethod method : methods) {
      if (method.method().isClientStreaming() || method.method().isServerStreaming()) {
        throw new IllegalArgumentException(
            method.fullName() + ": the edge transcodes unary methods only");
      }
      for (HttpRule rule : method.bindings()) {
        Route route = route(rule, method);
        route.template().verb().ifPresent(customVerbs::add);
        for (Route other : all) {
          if (other.httpMethod().equals(route.httpMethod())
              && other.template().toString().equals(route.template().toString())) {
            throw new IllegalArgumentException(
                route.httpMethod() + " " + route.template() + " is bound to both "
                    + other.method().fullName() + " and " + method.fullName());
          }
        }
        all.add(route);
      }
    }
    all.sort((a, b) -> PathTemplate.compareSpecificity(a.template(), b.template()));
    this.routes = List.copyOf(all);
  }

  private static Route route(HttpRule rule, PublicMethod method) {
    String verb;
    String path;
    switch (rule.getPatternCase()) {
      case GET -> {
        verb = "GET";
        path = rule.getGet();
      }
      case PUT -> {
        verb = "PUT";
        path = rule.getPut();
      }
      case POST -> {
        verb = "POST";
        path = rule.getPost();
      }
      case DELETE -> {
        verb = "DELETE";
        path = rule.getDelete();
      }
      case PATCH -> {
        verb = "PATCH";
        path = rule.getPatch();
      }
      case CUSTOM -> {
        verb = rule.getCustom().getKind();
        path = rule.getCustom().getPath();
      }
      default ->
          throw new IllegalArgumentException(method.fullName() + ": http rule without a pattern");
    }
    try {
      return new Route(verb, PathTemplate.parse(path), rule.getBody(), method);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(method.fullName() + ": " + e.getMessage(), e);
    }
  }

  public List<Route> routes() {
    return routes;
  }

  /** Finds the route for {@code httpMethod} and a raw request path (no query string). */
  public Lookup lookup(String httpMethod, String rawPath) {
    String path = rawPath;
    String verb = null;
    int colon = path.lastIndexOf(':');
    if (colon > path.lastIndexOf('/') && customVerbs.contains(path.substring(colon + 1))) {
      verb = path.substring(colon + 1);
      path = path.substring(0, colon);
    }
    List<String> parts = new ArrayList<>(Arrays.asList(path.isEmpty() ? new String[0] : path.substring(1).split("/", -1)));
    while (!parts.isEmpty() && parts.getLast().isEmpty()) {
      parts.removeLast();
    }
    Set<String> allowed = new TreeSet<>();
    for (Route route : routes) {
      if (!route.template().verb().equals(Optional.ofNullable(verb))) {
        continue;
      }
      if (route.httpMethod().equals(httpMethod)) {
        Optional<List<Binding>> bindings = route.template().match(parts);
        if (bindings.isPresent()) {
          return new Found(route, bindings.get());
        }
      } else if (!allowed.contains(route.httpMethod()) && route.template().match(parts).isPresent()) {
        allowed.add(route.httpMethod());
      }
    }
    return allowed.isEmpty() ? new NotFound() : new MethodNotAllowed(allowed);
  }
}
