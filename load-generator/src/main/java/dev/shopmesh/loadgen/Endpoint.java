package dev.shopmesh.loadgen;

/** What a scenario talks to. */
enum Endpoint {
  /** user-svc's own gRPC port. */
  USER_GRPC("--user-grpc"),
  /** The edge's gRPC proxy (9090). */
  EDGE_GRPC("--edge-grpc"),
  /** The edge's REST/JSON listener (8080). */
  EDGE_HTTP("--edge-http");

  private final String flag;

  Endpoint(String flag) {
    this.flag = flag;
  }

  String flag() {
    return flag;
  }
}
