package dev.shopmesh.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.testkit.TestIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Clients that misbehave on a real socket: one that pipelines and never reads, one that sends
 * its headers a byte at a time (slowloris), one that sends no body, too many connections, too
 * many requests; and a backend that is down, whose transport errors must not reach the client.
 * The edge stays healthy after each.
 */
class HostileClientTest {
  /** The edge checks tokens before it calls a backend: requests meant to reach one carry this. */
  private static final String TOKEN = TestIdentity.shared().adminToken();
  private static final String AUTH = "authorization: Bearer " + TOKEN + "\r\n";

  private static Edge edge(Map<String, String> extra) {
    return Main.start(Env.of(LocalMesh.edgeEnvWithoutBackends(extra)));
  }

  private static void assertHealthy(Edge edge) {
    Rest.Reply health = new Rest("http://localhost:" + edge.httpPort()).get("/healthz");
    assertThat(health.status()).isEqualTo(200);
  }

  /**
   * Thousands of pipelined GETs of the OpenAPI document, never reading an answer: the edge must
   * stop reading once the socket is not writable, so what it buffers stays near its high water
   * mark instead of growing with every request (here it would be hundreds of megabytes).
   */
  @Test
  void aClientThatPipelinesAndNeverReadsDoesNotGrowTheEdgesBuffers() throws Exception {
    Edge edge = edge(Map.of());
    try (Socket s = new Socket("localhost", edge.httpPort())) {
      s.setReceiveBufferSize(4096);
      int documentBytes = new Rest("http://localhost:" + edge.httpPort()).get("/openapi.json").text().length();
      byte[] request = "GET /openapi.json HTTP/1.1\r\nhost: edge\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      int requests = 4000; // ~ requests × documentBytes of answers, were they all buffered
      OutputStream out = s.getOutputStream();
      Thread writer =
          Thread.ofPlatform().daemon().start(() -> {
            try {
              for (int i = 0; i < requests; i++) {
                out.write(request);
              }
              out.flush();
            } catch (IOException closedOrFull) {
              // the edge stopped reading (the writes block) or closed the connection
            }
          });
      long most = 0;
      for (int i = 0; i < 100; i++) { // five seconds of watching, while the client never reads
        Thread.sleep(50);
        most = Math.max(most, edge.restBufferedBytes());
      }
      long bound = RestServer.WRITE_BUFFER_HIGH + RestServer.MAX_PIPELINED * (long) documentBytes + (1 << 20);
      System.out.printf(
          "pipelining client: %d requests of a %d-byte document sent, the edge buffered at most %d bytes (bound %d)%n",
          requests, documentBytes, most, bound);
      assertThat(most).as("bytes the edge holds for a client that never reads").isLessThan(bound);
      writer.interrupt();
    }
    assertHealthy(edge);
    edge.stop();
  }

  /** Slowloris: headers a byte at a time keep the idle timer quiet, but not the headers timer. */
  @Test
  void aClientThatSendsItsHeadersAByteAtATimeIsCutOff() throws Exception {
    Edge edge = edge(Map.of("EDGE_REQUEST_HEADERS_TIMEOUT", "2s"));
    try (Socket s = new Socket("localhost", edge.httpPort())) {
      s.setSoTimeout(100);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      byte[] slow = "GET /healthz HTTP/1.1\r\nhost: edge\r\nx-padding: ".getBytes(StandardCharsets.US_ASCII);
      String answer = null;
      for (int i = 0; i < 600 && answer == null; i++) { // at most a minute
        try {
          out.write(i < slow.length ? slow[i] : 'a'); // a header that never ends
          out.flush();
        } catch (IOException closed) {
          answer = "closed";
          break;
        }
        answer = readAnswer(in);
        Thread.sleep(100);
      }
      assertThat(answer).as("the edge ended the slow request").isNotNull();
      assertThat(answer).satisfiesAnyOf(a -> assertThat(a).startsWith("HTTP/1.1 408"), a -> assertThat(a).isEqualTo("closed"));
    }
    assertHealthy(edge);
    edge.stop();
  }

  /** A request whose body never comes is ended by the body timer. */
  @Test
  void aClientThatAnnouncesABodyAndNeverSendsItIsCutOff() throws Exception {
    Edge edge = edge(Map.of("EDGE_REQUEST_BODY_TIMEOUT", "2s"));
    try (Socket s = new Socket("localhost", edge.httpPort())) {
      s.setSoTimeout(30_000);
      s.getOutputStream()
          .write(("POST /v1/users HTTP/1.1\r\nhost: edge\r\n" + AUTH + "content-type: application/json\r\ncontent-length: 100\r\n\r\n{\"na")
              .getBytes(StandardCharsets.US_ASCII));
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 408");
      assertThat(answer).contains("REQUEST_TIMEOUT");
    }
    assertHealthy(edge);
    edge.stop();
  }

  /** Over EDGE_MAX_CONNECTIONS a new connection gets 503 with Retry-After and is closed. */
  @Test
  void connectionsOverTheCapGet503AndTheOthersStayServed() throws Exception {
    Edge edge = edge(Map.of("EDGE_MAX_CONNECTIONS", "20"));
    List<Socket> idle = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        idle.add(new Socket("localhost", edge.httpPort()));
      }
      awaitConnections(edge, 20);
      try (Socket over = new Socket("localhost", edge.httpPort())) {
        over.setSoTimeout(30_000);
        over.getOutputStream().write("GET /healthz HTTP/1.1\r\nhost: edge\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String answer = new String(over.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertThat(answer).startsWith("HTTP/1.1 503");
        assertThat(answer.toLowerCase()).contains("retry-after: ");
        assertThat(answer).contains("TOO_MANY_CONNECTIONS");
      }
      // The connections within the cap are served.
      Socket first = idle.getFirst();
      first.setSoTimeout(30_000);
      first.getOutputStream().write("GET /healthz HTTP/1.1\r\nhost: edge\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(readAnswer(first.getInputStream(), 30_000)).startsWith("HTTP/1.1 200");
    } finally {
      for (Socket s : idle) {
        s.close();
      }
    }
    awaitConnections(edge, 0);
    assertHealthy(edge);
    edge.stop();
  }

  /**
   * Thousands of idle connections are held (within the default cap) without the edge failing.
   * 9,000 rather than the 10,000: both ends live in this JVM, and this machine allows a
   * process 20,000 open files.
   */
  @Test
  void nineThousandIdleConnectionsLeaveTheEdgeServing() throws Exception {
    Edge edge = edge(Map.of());
    List<Socket> idle = new ArrayList<>();
    int connections = 9_000;
    try {
      for (int i = 0; i < connections; i++) {
        idle.add(new Socket("localhost", edge.httpPort()));
      }
      awaitConnections(edge, connections);
      assertHealthy(edge);
    } finally {
      for (Socket s : idle) {
        s.close();
      }
    }
    edge.stop();
  }

  /** Over EDGE_MAX_REQUESTS_IN_FLIGHT a request gets 503 with Retry-After at once. */
  @Test
  void requestsOverTheInFlightCapGet503WithRetryAfter() throws Exception {
    // A backend that never answers (a socket that accepts and says nothing) holds requests.
    try (java.net.ServerSocket blackHole = new java.net.ServerSocket(0)) {
      List<Socket> accepted = new ArrayList<>();
      Thread.ofPlatform().daemon().start(() -> {
        try {
          while (true) {
            accepted.add(blackHole.accept());
          }
        } catch (IOException done) {
          // closed
        }
      });
      Edge edge =
          edge(Map.of("EDGE_MAX_REQUESTS_IN_FLIGHT", "3", "USER_SVC_TARGET", "localhost:" + blackHole.getLocalPort(),
              "EDGE_BACKEND_TIMEOUT", "60s"));
      List<Socket> holders = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          Socket s = new Socket("localhost", edge.httpPort());
          s.getOutputStream().write(("GET /v1/users/u1 HTTP/1.1\r\nhost: edge\r\n" + AUTH + "\r\n").getBytes(StandardCharsets.US_ASCII));
          holders.add(s);
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (edge.restInFlight() < 3 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        Rest.Reply over = new Rest("http://localhost:" + edge.httpPort()).withToken(TOKEN).get("/v1/users/u2");
        assertThat(over.status()).isEqualTo(503);
        assertThat(over.headers().firstValue("retry-after")).isPresent();
        assertThat(over.json().toString()).contains("TOO_MANY_REQUESTS");
      } finally {
        for (Socket s : holders) {
          s.close();
        }
        edge.stop();
      }
    }
  }

  /**
   * A backend that is down: the REST client learns that the service is unavailable, not the
   * edge's own transport description (addresses, ports, "Connection refused").
   */
  @Test
  void aBackendThatIsDownGivesAFixedMessageWithoutTransportDetails() throws Exception {
    Edge edge = edge(Map.of());
    Rest rest = new Rest("http://localhost:" + edge.httpPort()).withToken(TOKEN);
    Rest.Reply r = rest.post("/v1/orders", "{\"userId\": \"u1\", \"currencyCode\": \"EUR\", \"items\": [{\"sku\": \"a\", \"quantity\": 1, \"unitPriceMinor\": \"1\"}]}");

    assertThat(r.status()).as(r.toString()).isEqualTo(503);
    String message = JsonParser.parseString(r.text()).getAsJsonObject().get("message").getAsString();
    assertThat(message).isEqualTo("the order service is unavailable");
    assertThat(r.text()).doesNotContainIgnoringCase("refused").doesNotContain("localhost").doesNotContain("127.0.0.1")
        .doesNotContain("remote_addr").doesNotContain("io exception");
    Rest.Reply read = rest.get("/v1/users/u1");
    assertThat(read.status()).isEqualTo(503);
    assertThat(read.json().get("message").getAsString()).isEqualTo("the user service is unavailable");
    edge.stop();
  }

  /** On 9090 too, a connection without calls is ended (GOAWAY) after EDGE_HTTP_IDLE_TIMEOUT. */
  @Test
  void anIdleGrpcConnectionIsClosedByTheEdge() throws Exception {
    Edge edge = edge(Map.of("EDGE_HTTP_IDLE_TIMEOUT", "1s"));
    io.grpc.ManagedChannel channel =
        io.grpc.ManagedChannelBuilder.forAddress("localhost", edge.grpcPort()).usePlaintext().build();
    try {
      io.grpc.health.v1.HealthGrpc.newBlockingStub(channel)
          .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance());
      assertThat(channel.getState(false)).isEqualTo(io.grpc.ConnectivityState.READY);
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (channel.getState(false) == io.grpc.ConnectivityState.READY && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(channel.getState(false)).as("the edge sent GOAWAY to the idle connection").isEqualTo(io.grpc.ConnectivityState.IDLE);
    } finally {
      channel.shutdownNow();
      edge.stop();
    }
  }

  private static void awaitConnections(Edge edge, int n) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (edge.restConnections() != n && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(edge.restConnections()).isEqualTo(n);
  }

  /** What the edge has answered so far, or null when nothing (yet). */
  private static String readAnswer(InputStream in) throws IOException {
    byte[] buf = new byte[8192];
    try {
      int n = in.read(buf);
      return n < 0 ? "closed" : new String(buf, 0, n, StandardCharsets.ISO_8859_1);
    } catch (SocketTimeoutException nothingYet) {
      return null;
    } catch (IOException reset) {
      return "closed";
    }
  }

  private static String readAnswer(InputStream in, int timeoutMillis) throws IOException {
    byte[] buf = new byte[8192];
    int n = in.read(buf);
    return n < 0 ? "closed" : new String(buf, 0, n, StandardCharsets.ISO_8859_1);
  }
}
