package dev.shopmesh.loadgen;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/** What a benchmark run can measure, each selectable with {@code --scenarios}. */
enum Scenario {
  GRPC_GET_USER(
      "grpc-get-user", "GetUser over gRPC straight to user-svc", EnumSet.of(Endpoint.USER_GRPC)),
  REST_GET_USER(
      "rest-get-user", "GET /v1/users/{userId} through the edge", EnumSet.of(Endpoint.EDGE_HTTP)),
  GRPC_CREATE_ORDER(
      "grpc-create-order",
      "CreateOrder over gRPC through the edge's proxy: the full saga",
      EnumSet.of(Endpoint.EDGE_GRPC)),
  REST_CREATE_ORDER(
      "rest-create-order",
      "POST /v1/orders through the edge: the full saga",
      EnumSet.of(Endpoint.EDGE_HTTP)),
  MIX(
      "mix",
      "a shop's day: 45% rest-get-user, 35% grpc-get-user, 10% rest-create-order, 10% grpc-create-order",
      EnumSet.allOf(Endpoint.class));

  private final String id;
  private final String description;
  private final Set<Endpoint> endpoints;

  Scenario(String id, String description, Set<Endpoint> endpoints) {
    this.id = id;
    this.description = description;
    this.endpoints = endpoints;
  }

  String id() {
    return id;
  }

  String description() {
    return description;
  }

  Set<Endpoint> endpoints() {
    return endpoints;
  }

  static Scenario byId(String id) {
    return Arrays.stream(values())
        .filter(s -> s.id.equals(id))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown scenario '" + id + "'; known: " + ids()));
  }

  static String ids() {
    return Arrays.stream(values()).map(Scenario::id).collect(Collectors.joining(", "));
  }
}
