package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Faults the compose cluster had, found by review against Envoy's and Docker's documentation
 * since compose cannot run here; each test fails on the file as it was.
 */
class ComposeFaultsTest {
  static final String ENVOY_READY_REQUEST =
      "GET /ready HTTP/1.1\r\nHost: 127.0.0.1:9901\r\nConnection: close\r\n\r\n";

  @Test
  void envoysHealthcheckSendsAnHttp11RequestWithHostAndPassesOnLive() throws Exception {
    Exchange e = runEnvoyHealthcheck(Compose.healthcheckCommand("envoy"), this::envoyAdmin);

    assertThat(e.request()).isEqualTo(ENVOY_READY_REQUEST);
    assertThat(e.exitCode()).as("healthy when /ready answers LIVE").isZero();
  }

  @Test
  void anHttp10HealthcheckGetsEnvoys426AndNeverTurnsHealthy() throws Exception {
    List<String> broken = new ArrayList<>(Compose.healthcheckCommand("envoy"));
    broken.set(broken.size() - 1, "exec 3<>/dev/tcp/127.0.0.1/9901 && printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q LIVE <&3");

    Exchange e = runEnvoyHealthcheck(broken, this::envoyAdmin);

    assertThat(e.request()).startsWith("GET /ready HTTP/1.0");
    assertThat(e.exitCode()).isNotZero();
  }

  @Test
  void onlyTheEdgeIsPublishedBeyondThisHost() {
    for (String service : Compose.services().keySet()) {
      for (String port : Compose.ports(service)) {
        boolean edge = service.equals("envoy") && (port.equals("8080:8080") || port.equals("9090:9090"));
        if (!edge) {
          assertThat(port).as(service + " publishes " + port + ": anyone on the network could reach it").startsWith("127.0.0.1:");
        }
      }
    }
  }

  @Test
  void envoyRunsTheWorkersItsConnectionLimitsAreSizedForAsOnKubernetes() {
    List<String> command = Compose.service("envoy").get("command") instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
    assertThat(command).as("compose's Envoy command").contains("--concurrency");
    int workers = Integer.parseInt(command.get(command.indexOf("--concurrency") + 1));
    for (String service : List.of("user_svc", "order_svc", "payment_svc", "notification_svc")) {
      Cluster cluster = Envoy.clusters().get(service);
      // One HTTP/2 connection per worker per replica, twice while GOAWAYed ones drain: room for
      // ten replicas, the most any autoscaler of deploy/k8s allows.
      assertThat(cluster.getCircuitBreakers().getThresholds(0).getMaxConnections().getValue())
          .as(service).isGreaterThanOrEqualTo(workers * 10 * 2);
    }
  }

  @Test
  void theTranscoderRejectsABodyThatContradictsThePath() {
    var transcoder = EnvoyConfigTest.edgeHttpTranscoder();

    assertThat(transcoder.getRequestValidationOptions().getRejectBindingBodyFieldCollisions())
        .as("CancelOrder's body \"*\" could otherwise name another order than its path").isTrue();
  }

  @Test
  void everyServiceTheMergedReflectionListsIsRoutedByBothEnvoyEdgeListeners() throws Exception {
    for (String service : ReflectionListing.listedByTheJavaEdge()) {
      for (String method : ReflectionListing.methods(service)) {
        String path = "/" + service + "/" + method;
        for (int port : List.of(EnvoyConfigTest.EDGE_HTTP, EnvoyConfigTest.EDGE_GRPC)) {
          assertThat(Envoy.routeFor(Envoy.hcm(Envoy.listener(port)), path))
              .as("reflection lists %s, so Envoy's :%d routes it", path, port).isPresent();
        }
      }
    }
  }

  @Test
  void outlierDetectionDoesNotEjectAReplicaForTheUnavailableOfAnExhaustedPool() {
    // Envoy counts a gRPC status as its HTTP equivalent: UNAVAILABLE is 503, a gateway failure
    // and a 5xx. PoolExhaustionTest shows the services answer UNAVAILABLE when their pool is dry.
    for (Cluster c : Envoy.clusters().values()) {
      if (!c.hasOutlierDetection() || Envoy.healthCheckedService(c).isEmpty()) {
        continue;
      }
      var od = c.getOutlierDetection();
      Map<String, Integer> enforced = Map.of(
          "consecutive_gateway_failure", od.hasEnforcingConsecutiveGatewayFailure() ? od.getEnforcingConsecutiveGatewayFailure().getValue() : 0,
          "consecutive_5xx", od.hasEnforcingConsecutive5Xx() ? od.getEnforcingConsecutive5Xx().getValue() : 100,
          "success_rate", od.hasEnforcingSuccessRate() ? od.getEnforcingSuccessRate().getValue() : 100,
          "failure_percentage", od.hasEnforcingFailurePercentage() ? od.getEnforcingFailurePercentage().getValue() : 0);
      assertThat(enforced).as(c.getName() + ": detectors that would count a 503 the replica answered (defaults as Envoy's)")
          .allSatisfy((detector, percent) -> assertThat(percent).as(detector).isZero());
      assertThat(od.getSplitExternalLocalOriginErrors()).as(c.getName() + ": what Envoy itself saw fail counts apart").isTrue();
      assertThat(od.hasEnforcingConsecutiveLocalOriginFailure() ? od.getEnforcingConsecutiveLocalOriginFailure().getValue() : 100)
          .as(c.getName() + ": a replica Envoy cannot reach is still ejected").isEqualTo(100);
    }
  }

  /** What the healthcheck sent and how it exited. */
  record Exchange(String request, int exitCode) {}

  private interface Admin {
    String answer(String request);
  }

  /** Envoy's admin as far as /ready goes: 426 to HTTP/1.0, 400 without Host, else LIVE. */
  private String envoyAdmin(String request) {
    String body = "LIVE\n";
    if (request.startsWith("GET /ready HTTP/1.0")) {
      return "HTTP/1.1 426 Upgrade Required\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    }
    if (!request.toLowerCase().contains("\r\nhost:")) {
      return "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    }
    return "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: " + body.length() + "\r\n\r\n" + body;
  }

  /** Runs the healthcheck's bash for real, against a local stand-in for Envoy's admin port. */
  private static Exchange runEnvoyHealthcheck(List<String> command, Admin admin) throws Exception {
    try (ServerSocket server = new ServerSocket(0)) {
      CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
        try (Socket s = server.accept()) {
          s.setSoTimeout(5000);
          InputStream in = s.getInputStream();
          ByteArrayOutputStream request = new ByteArrayOutputStream();
          while (!request.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
              break;
            }
            request.write(b);
          }
          String text = request.toString(StandardCharsets.ISO_8859_1);
          OutputStream out = s.getOutputStream();
          out.write(admin.answer(text).getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
          return text;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      List<String> local = new ArrayList<>(command);
      assertThat(local.get(0)).isEqualTo("bash");
      String script = local.get(local.size() - 1);
      assertThat(script).contains("/dev/tcp/127.0.0.1/9901");
      local.set(local.size() - 1, script.replace("/dev/tcp/127.0.0.1/9901", "/dev/tcp/127.0.0.1/" + server.getLocalPort()));
      Process p = new ProcessBuilder(local).redirectErrorStream(true).start();
      p.getInputStream().transferTo(OutputStream.nullOutputStream());
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Exchange(received.getNow("(nothing)"), -1);
      }
      return new Exchange(received.get(5, TimeUnit.SECONDS), p.exitValue());
    }
  }
}
