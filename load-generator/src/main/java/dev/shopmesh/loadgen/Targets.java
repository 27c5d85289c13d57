package dev.shopmesh.loadgen;

import java.net.URI;

/**
 * Where the mesh answers.
 *
 * @param userGrpc user-svc's gRPC address, {@code host:port}
 * @param edgeGrpc the edge's gRPC proxy, {@code host:port}
 * @param edgeHttp the edge's REST/JSON base URL, {@code http://host:port}
 */
record Targets(String userGrpc, String edgeGrpc, URI edgeHttp) {
  static final Targets LOCAL =
      new Targets("localhost:50051", "localhost:9090", URI.create("http://localhost:8080"));

  String address(Endpoint endpoint) {
    return switch (endpoint) {
      case USER_GRPC -> userGrpc;
      case EDGE_GRPC -> edgeGrpc;
      case EDGE_HTTP -> edgeHttp.toString();
    };
  }
}
