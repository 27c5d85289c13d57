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
  /** The signed-in user's access token, sent as authorization: Bearer; null for none. */
  private String token;

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
    String password = "correct horse battery staple";
    String email = "ada+" + UUID.randomUUID() + "@example.com";
    JsonElement user =
        call("Sign up (a user with a password)", "POST", "/v1/users",
            "{\"name\": \"Ada Lovelace\", \"email\": \"" + email + "\", \"password\": \"" + password + "\"}", 200);
    String userId = field(user, "userId");

    JsonElement session =
        call("Sign in (an access token, a refresh token)", "POST", "/v1/sessions",
            "{\"email\": \"" + email + "\", \"password\": \"" + password + "\"}", 200);
    token = field(session, "accessToken");

    call("Sign in with a wrong password (401, like an unknown email)", "POST", "/v1/sessions",
        "{\"email\": \"" + email + "\", \"password\": \"not the password\"}", 401);

    String order = "{\"userId\": \"%s\", \"currencyCode\": \"EUR\", \"items\": [{\"sku\": \"%s\", \"quantity\": %d, \"unitPriceMinor\": \"%d\"}]}";
    String anonymous = token;
    token = null;
    call("Order without a token (401)", "POST", "/v1/orders", order.formatted(userId, "book", 1, 1250), 401);
    token = anonymous;

    JsonElement confirmed =
        call("Order two books (within the payment limit: CONFIRMED)", "POST",
            "/v1/orders?requestId=" + UUID.randomUUID(), order.formatted(userId, "book", 2, 1250), 200);
    expect(confirmed, "state", "CONFIRMED");
    String orderId = field(confirmed, "orderId");

    JsonElement declined =
        call("Order a car (above the payment limit: PAYMENT_DECLINED)", "POST", "/v1/orders",
            order.formatted(userId, "car", 1, 150_000), 200);
    expect(declined, "state", "PAYMENT_DECLINED");

    // A second customer: Ada's data is not theirs to read, and not theirs to order for.
    String bobEmail = "bob+" + UUID.randomUUID() + "@example.com";
    String adaToken = token;
    token = null;
    call("Another user, Bob, signs up", "POST", "/v1/users",
        "{\"name\": \"Bob\", \"email\": \"" + bobEmail + "\", \"password\": \"" + password + "\"}", 200);
    JsonElement bob =
        call("Bob signs in", "POST", "/v1/sessions",
            "{\"email\": \"" + bobEmail + "\", \"password\": \"" + password + "\"}", 200);
    token = field(bob, "accessToken");
    call("Bob reads Ada's order (403, exactly as for an order that does not exist)", "GET", "/v1/orders/" + orderId, null, 403);
    call("Bob places an order in Ada's name (403)", "POST", "/v1/orders", order.formatted(userId, "book", 1, 1250), 403);
    token = adaToken;

    JsonElement cancelled =
        call("Ada cancels the confirmed order (its payment is refunded)", "POST",
            "/v1/orders/" + orderId + ":cancel", "{}", 200);
    expect(cancelled, "state", "CANCELLED");

    JsonElement payments = call("List the order's payments", "GET", "/v1/payments?orderId=" + orderId, null, 200);
    String state = payments.getAsJsonObject().getAsJsonArray("payments").get(0).getAsJsonObject().get("state").getAsString();
    if (!state.equals("REFUNDED")) {
      throw new IllegalStateException("expected the payment REFUNDED, got " + state);
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
    if (token != null) {
      OUT.println("authorization: Bearer " + token.substring(0, Math.min(16, token.length())) + "…");
      request.header("authorization", "Bearer " + token);
    }
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
