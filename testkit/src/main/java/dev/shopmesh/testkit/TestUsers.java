package dev.shopmesh.testkit;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.shopmesh.user.v1.CreateSessionRequest;
import dev.shopmesh.user.v1.CreateUserRequest;
import dev.shopmesh.user.v1.Session;
import dev.shopmesh.user.v1.SessionServiceGrpc;
import dev.shopmesh.user.v1.User;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.Channel;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Signs users up and in for real, through gRPC (user-svc itself, or an edge's 9090) or REST (an
 * edge's 8080), as a client would.
 */
public final class TestUsers {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private TestUsers() {}

  /** A signed-up, signed-in user. */
  public record SignedIn(String userId, String email, String password, Session session) {
    public String token() {
      return session.getAccessToken();
    }
  }

  public static String uniqueEmail() {
    return "u" + UUID.randomUUID() + "@example.com";
  }

  /** Signs a new customer up with {@link TestIdentity#PASSWORD} and signs them in. */
  public static SignedIn signUp(Channel channel) {
    return signUp(channel, "Test Customer", uniqueEmail(), TestIdentity.PASSWORD);
  }

  public static SignedIn signUp(Channel channel, String name, String email, String password) {
    User user =
        UserServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .createUser(
                CreateUserRequest.newBuilder()
                    .setUser(User.newBuilder().setName(name).setEmail(email).setPassword(password))
                    .build());
    return new SignedIn(user.getUserId(), email, password, signIn(channel, email, password));
  }

  public static Session signIn(Channel channel, String email, String password) {
    return SessionServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .createSession(CreateSessionRequest.newBuilder().setEmail(email).setPassword(password).build());
  }

  /** Signs in as the bootstrap admin of {@link TestIdentity}. */
  public static SignedIn admin(Channel channel) {
    Session s = signIn(channel, TestIdentity.ADMIN_EMAIL, TestIdentity.ADMIN_PASSWORD);
    return new SignedIn(s.getUserId(), TestIdentity.ADMIN_EMAIL, TestIdentity.ADMIN_PASSWORD, s);
  }

  /** Signs in as {@code email}, an admin the mesh knows (BOOTSTRAP_ADMIN_*). */
  public static SignedIn admin(Channel channel, String email, String password) {
    Session s = signIn(channel, email, password);
    return new SignedIn(s.getUserId(), email, password, s);
  }

  /** Signs a new customer up and in through an edge's REST API at {@code baseUrl}. */
  public static SignedIn signUpRest(String baseUrl) {
    return signUpRest(baseUrl, "Test Customer", uniqueEmail(), TestIdentity.PASSWORD);
  }

  public static SignedIn signUpRest(String baseUrl, String name, String email, String password) {
    String body =
        "{\"name\":" + quote(name) + ",\"email\":" + quote(email) + ",\"password\":" + quote(password) + "}";
    User.Builder user = User.newBuilder();
    merge(post(baseUrl, "/v1/users", body), user);
    return new SignedIn(user.getUserId(), email, password, signInRest(baseUrl, email, password));
  }

  public static Session signInRest(String baseUrl, String email, String password) {
    Session.Builder session = Session.newBuilder();
    merge(post(baseUrl, "/v1/sessions", "{\"email\":" + quote(email) + ",\"password\":" + quote(password) + "}"), session);
    return session.build();
  }

  /** Signs in as {@code email} through REST when it is an admin known to the mesh. */
  public static SignedIn adminRest(String baseUrl, String email, String password) {
    Session s = signInRest(baseUrl, email, password);
    return new SignedIn(s.getUserId(), email, password, s);
  }

  private static String post(String baseUrl, String path, String json) {
    String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build();
    try {
      HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("POST " + path + ": " + r.statusCode() + " " + r.body());
      }
      return r.body();
    } catch (IOException e) {
      throw new IllegalStateException("POST " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void merge(String json, com.google.protobuf.Message.Builder into) {
    try {
      JsonFormat.parser().ignoringUnknownFields().merge(json, into);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("not the expected JSON: " + json, e);
    }
  }

  private static String quote(String s) {
    return new com.google.gson.JsonPrimitive(s).toString();
  }
}
