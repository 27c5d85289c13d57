package dev.shopmesh.loadgen;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * The ports of a mesh the run starts, all within 100 of {@code base}, as the launcher lays them
 * out: user-svc, order-svc and payment-svc on base, base+1 and base+2, replica k adding 10 k;
 * payment-svc's internal ports 1000 above its own; PostgreSQL on base+97 and the edge on base+98
 * (REST) and base+99 (gRPC).
 */
record MeshPorts(int base, int replicas) {

  int pg() {
    return base + 97;
  }

  int edgeHttp() {
    return base + 98;
  }

  int edgeGrpc() {
    return base + 99;
  }

  /** Every replica's port of the service at {@code offset} (0 user, 1 order, 2 payment). */
  List<Integer> service(int offset) {
    List<Integer> ports = new ArrayList<>();
    for (int k = 0; k < replicas; k++) {
      ports.add(base + offset + 10 * k);
    }
    return ports;
  }

  /** {@code localhost:p1,localhost:p2}: a target list that platform channels balance over. */
  String targets(int offset) {
    return String.join(",", service(offset).stream().map(p -> "localhost:" + p).toList());
  }

  List<Integer> all() {
    List<Integer> all = new ArrayList<>();
    for (int offset = 0; offset < 3; offset++) {
      all.addAll(service(offset));
    }
    service(2).forEach(p -> all.add(p + 1000)); // payment-svc's internal (mutual TLS) ports
    all.addAll(List.of(pg(), edgeHttp(), edgeGrpc()));
    return all;
  }

  /** The first block from 52000 up whose ports are all free, so a developer's mesh can run beside. */
  static MeshPorts free(int replicas) {
    for (int base = 52051; base < 60000; base += 100) {
      MeshPorts ports = new MeshPorts(base, replicas);
      if (ports.all().stream().allMatch(MeshPorts::isFree)) {
        return ports;
      }
    }
    throw new BenchException("found no free ports for a mesh between 52051 and 60000");
  }

  private static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
