package dev.shopmesh.mesh;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.Console;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * {@code ./mesh login EMAIL}: signs in through a running mesh's REST edge and prints the access
 * token alone on stdout, for {@code TOKEN=$(./mesh login ada@example.com)} and then curl's or
 * grpcurl's {@code -H "authorization: Bearer $TOKEN"}. The password comes from
 * {@code MESH_PASSWORD} or is asked for on the terminal (never an argument, which {@code ps}
 * would show).
 */
public final class MeshLogin {
  private MeshLogin() {}

  public static void main(String[] args) throws InterruptedException {
    String baseUrl = System.getenv().getOrDefault("MESH_EDGE_URL", "http://localhost:8080");
    String email = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--url") && i + 1 < args.length) {
        baseUrl = args[++i];
      } else if (email == null && !args[i].startsWith("-")) {
        email = args[i];
      } else {
        email = null;
        break;
      }
    }
    if (email == null) {
      System.err.println("usage: mesh login EMAIL [--url http://localhost:8080]   (password: MESH_PASSWORD or asked)");
      System.exit(2);
    }
    String password = System.getenv("MESH_PASSWORD");
    if (password == null || password.isEmpty()) {
      Console console = System.console();
      if (console == null) {
        System.err.println("mesh login: no terminal to ask the password on; set MESH_PASSWORD");
        System.exit(2);
      }
      password = new String(console.readPassword("password for %s: ", email));
    }
    JsonObject body = new JsonObject();
    body.addProperty("email", email);
    body.addProperty("password", password);
    String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    try {
      HttpResponse<String> r =
          HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
              .send(
                  HttpRequest.newBuilder(URI.create(base + "/v1/sessions"))
                      .timeout(Duration.ofSeconds(15))
                      .header("content-type", "application/json")
                      .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        System.err.println("mesh login: " + r.statusCode() + " " + r.body());
        System.exit(1);
      }
      System.out.println(JsonParser.parseString(r.body()).getAsJsonObject().get("accessToken").getAsString());
    } catch (IOException e) {
      System.err.println("mesh login: cannot reach " + base + " (" + e.getMessage() + "); is the mesh up? Try ./mesh up");
      System.exit(1);
    }
  }
}
