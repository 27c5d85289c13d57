package dev.shopmesh.edge;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A small JSON-over-HTTP client for the tests: JDK HttpClient, HTTP/1.1, keep-alive. */
final class Rest {
  /** One response: status, headers, and the body as text and (when it is JSON) parsed. */
  record Reply(int status, java.net.http.HttpHeaders headers, String text) {
    JsonObject json() {
      JsonElement e = JsonParser.parseString(text);
      return e.getAsJsonObject();
    }

    String contentType() {
      return headers.firstValue("content-type").orElse("");
    }

    /** The first detail of type {@code type} (for example {@code google.rpc.ErrorInfo}), or null. */
    JsonObject detail(String type) {
      for (JsonElement d : json().getAsJsonArray("details")) {
        if (d.getAsJsonObject().get("@type").getAsString().equals("type.googleapis.com/" + type)) {
          return d.getAsJsonObject();
        }
      }
      return null;
    }

    @Override
    public String toString() {
      return status + " " + text;
    }
  }

  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final Map<String, String> defaults;

  /** A client that sends no credentials. */
  Rest(String base) {
    this(base, Map.of());
  }

  private Rest(String base, Map<String, String> defaults) {
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.defaults = defaults;
  }

  /** The same client, sending {@code authorization: Bearer <token>} on every request. */
  Rest withToken(String token) {
    return new Rest(base, Map.of("authorization", "Bearer " + token));
  }

  /** The authorization header this client sends ("" when none). */
  String authorization() {
    return defaults.getOrDefault("authorization", "");
  }

  /** The same client, with no credentials. */
  Rest anonymous() {
    return new Rest(base, Map.of());
  }

  String base() {
    return base;
  }

  Reply get(String path) {
    return send("GET", path, null, Map.of());
  }

  Reply post(String path, String json) {
    return send("POST", path, json, Map.of());
  }

  Reply send(String method, String path, String body, Map<String, String> headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("content-type", "application/json");
    }
    defaults.forEach((name, value) -> {
      if (headers.keySet().stream().noneMatch(name::equalsIgnoreCase)) {
        b.header(name, value);
      }
    });
    headers.forEach(b::header);
    try {
      HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
