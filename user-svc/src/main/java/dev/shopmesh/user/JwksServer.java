package dev.shopmesh.user;

import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves the public signing keys at {@code GET /.well-known/jwks.json} on {@code JWKS_PORT}
 * (8081), with {@code Cache-Control: max-age=300}. Everything else is 404. It binds like the gRPC
 * server does. The JDK's own HTTP server is enough for one small, rarely fetched document.
 */
final class JwksServer implements AutoCloseable {
  static final String PATH = "/.well-known/jwks.json";

  private final HttpServer server;
  private final ExecutorService executor;

  private JwksServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  static JwksServer start(InetSocketAddress address, JWKSet publicKeys) {
    byte[] body = publicKeys.toPublicJWKSet().toString(true).getBytes(StandardCharsets.UTF_8);
    HttpServer server;
    try {
      server = HttpServer.create(address, 64);
    } catch (IOException e) {
      throw new UncheckedIOException("user-svc: cannot listen for the JWKS on " + address, e);
    }
    ExecutorService executor = Executors.newFixedThreadPool(2, Thread.ofPlatform().daemon().name("jwks-", 0).factory());
    server.setExecutor(executor);
    server.createContext("/", exchange -> answer(exchange, body));
    server.start();
    return new JwksServer(server, executor);
  }

  private static void answer(HttpExchange exchange, byte[] jwks) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readNBytes(1024); // nothing to read; do not wait for more
      String method = exchange.getRequestMethod();
      boolean found = PATH.equals(exchange.getRequestURI().getPath());
      if (found && !method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = found ? jwks : "{\"error\":\"not found\"}".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      if (found) {
        exchange.getResponseHeaders().set("Cache-Control", "public, max-age=300");
      }
      boolean head = method.equals("HEAD");
      exchange.sendResponseHeaders(found ? 200 : 404, head ? -1 : body.length);
      if (!head) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
