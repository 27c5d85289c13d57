package dev.shopmesh.mesh;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/**
 * {@code ./mesh demo}: walks the shop's main flow through the REST edge of a running mesh (the
 * Java edge of {@code ./mesh up}, or Envoy in compose), printing every request and response.
 * Exits non-zero when a step does not answer as it should.
 */
public final class MeshDemo {
  private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String baseUrl;
  private int step;

  private MeshDemo(String baseUrl) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
  }

  public static void main(String[] args) {
    String baseUrl = System.getenv().getOrDefault("MESH_EDGE_URL", "http://localhost:8080");
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--url") && i + 1 < args.length) {
        baseUrl = args[++i];
      } else {
        System.err.println("usage: mesh demo [--url http://localhost:8080]");
        System.exit(2);
      }
    }
    try {
      new MeshDemo(baseUrl).run();
    } catch (IOException e) {
      System.err.println("mesh demo: cannot reach " + baseUrl + " (" + e.getMessage() + "); is the mesh up? Try ./mesh up");
      System.exit(1);
    } catch (IllegalStateException e) {
      System.err.println("mesh demo: " + e.getMessage());
      System.exit(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() throws IOException, InterruptedException {
    OUT.println("shopmesh demo against " + baseUrl);
    JsonElement user =
        call("Create a user", "POST", "/v1/users",
            "{\"name\": \"Ada Lovelace\", \"email\": \"ada+" + UUID.randomUUID() + "@example.com\"}", 200);
    String userId = field(user, "userId");

    String order = "{\"userId\": \"%s\", \"currencyCode\": \"EUR\", \"items\": [{\"sku\": \"%s\", \"quantity\": %d, \"unitPriceMinor\": \"%d\"}]}";
    JsonElement confirmed =
        call("Order two books (within the payment limit: CONFIRMED)", "POST",
            "/v1/orders?requestId=" + UUID.randomUUID(), order.formatted(userId, "book", 2, 1250), 200);
    expect(confirmed, "state", "CONFIRMED");
    String orderId = field(confirmed, "orderId");

    JsonElement declined =
        call("Order a car (above the payment limit: PAYMENT_DECLINED)", "POST", "/v1/orders",
            order.formatted(userId, "car", 1, 150_000), 200);
    expect(declined, "state", "PAYMENT_DECLINED");

    call("Order for a user who does not exist (400, FAILED_PRECONDITION)", "POST", "/v1/orders",
        order.formatted(UUID.randomUUID(), "book", 1, 1250), 400);

    JsonElement cancelled =
        call("Cancel the confirmed order (its payment is refunded)", "POST",
            "/v1/orders/" + orderId + ":cancel", "{}", 200);
    expect(cancelled, "state", "CANCELLED");

    JsonElement payments = call("List the order's payments", "GET", "/v1/payments?orderId=" + orderId, null, 200);
    String state = payments.getAsJsonObject().getAsJsonArray("payments").get(0).getAsJsonObject().get("state").getAsString();
    if (!state.equals("REFUNDED")) {
      throw new IllegalStateException("expected the payment REFUNDED, got " + state);
    }

    // Confirmed, declined, cancelled, refunded: each change reached Ada through Kafka.
    awaitNotifications(userId, 4, Duration.ofSeconds(20));
    JsonElement notifications =
        call("What Ada was told about her orders (newest first)", "GET", "/v1/notifications?userId=" + userId, null, 200);
    int told = notifications.getAsJsonObject().getAsJsonArray("notifications").size();
    if (told != 4) {
      throw new IllegalStateException("expected 4 notifications (confirmed, declined, cancelled, refunded), got " + told);
    }
    OUT.println();
    OUT.println("demo finished: every step answered as expected.");
  }

  private JsonElement call(String title, String method, String path, String body, int expected)
      throws IOException, InterruptedException {
    OUT.println();
    OUT.printf("── %d. %s %s%n", ++step, title, "─".repeat(Math.max(3, 70 - title.length())));
    OUT.println(method + " " + path);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(15));
    if (body == null) {
      request.GET();
    } else {
      OUT.println(pretty(JsonParser.parseString(body)));
      request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    String trace = response.headers().firstValue("x-trace-id").map(t -> "   x-trace-id: " + t).orElse("");
    OUT.println("→ " + response.statusCode() + trace);
    JsonElement json = response.body().isBlank() ? JsonParser.parseString("{}") : JsonParser.parseString(response.body());
    OUT.println(pretty(json));
    if (response.statusCode() != expected) {
      throw new IllegalStateException("step " + step + " answered " + response.statusCode() + ", expected " + expected);
    }
    return json;
  }

  /** Polls, without printing, until the user has {@code count} notifications or time runs out. */
  private void awaitNotifications(String userId, int count, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(baseUrl + "/v1/notifications?userId=" + userId)).timeout(Duration.ofSeconds(5)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200
          && JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonArray("notifications").size() >= count) {
        return;
      }
      Thread.sleep(250);
    }
  }

  private static String field(JsonElement json, String name) {
    return json.getAsJsonObject().get(name).getAsString();
  }

  private static void expect(JsonElement json, String name, String value) {
    String actual = field(json, name);
    if (!actual.equals(value)) {
      throw new IllegalStateException("expected " + name + " " + value + ", got " + actual);
    }
  }

  private static String pretty(JsonElement json) {
    return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(json);
  }
}
