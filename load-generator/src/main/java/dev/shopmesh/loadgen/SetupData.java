package dev.shopmesh.loadgen;

import dev.shopmesh.user.v1.CreateUserRequest;
import dev.shopmesh.user.v1.User;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The data the scenarios need, created before any timing: users, signed up (CreateUser) and
 * signed in once (CreateSession), a few at a time; the scenarios reuse their access tokens. Their
 * emails carry a per-run tag, so that runs against a long-lived mesh never collide. Tokens last
 * ten minutes: a longer run would need to refresh them (not done).
 */
final class SetupData {
  private static final int PARALLEL = 8;
  private static final String PASSWORD = "bench-password-not-secret";

  private SetupData() {}

  static UserPool createUsers(Channel channel, int count, Duration timeout) throws InterruptedException {
    String tag = Long.toString(System.currentTimeMillis(), 36) + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
    var stub = UserServiceGrpc.newBlockingStub(channel);
    var sessions = dev.shopmesh.user.v1.SessionServiceGrpc.newBlockingStub(channel);
    Queue<UserPool.Member> ids = new ConcurrentLinkedQueue<>();
    Queue<String> failures = new ConcurrentLinkedQueue<>();
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < PARALLEL; w++) {
      int worker = w;
      workers.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    for (int i = worker; i < count && failures.isEmpty(); i += PARALLEL) {
                      CreateUserRequest request =
                          CreateUserRequest.newBuilder()
                              .setUser(
                                  User.newBuilder()
                                      .setName("Bench User " + i)
                                      .setEmail("bench-" + tag + "-" + i + "@example.com")
                                      .setPassword(PASSWORD))
                              .setRequestId(Operations.requestId(ThreadLocalRandom.current()))
                              .build();
                      for (int attempt = 0; ; attempt++) {
                      try {
                        String id =
                            stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                                .createUser(request)
                                .getUserId();
                        String token =
                            sessions.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                                .createSession(
                                    dev.shopmesh.user.v1.CreateSessionRequest.newBuilder()
                                        .setEmail(request.getUser().getEmail())
                                        .setPassword(PASSWORD)
                                        .build())
                                .getAccessToken();
                        ids.add(new UserPool.Member(id, token));
                        break;
                      } catch (StatusRuntimeException e) {
                        // An edge's sign-in rate limit: wait and send the same request again
                        // (its request_id makes the sign-up a replay).
                        if (e.getStatus().getCode() == io.grpc.Status.Code.RESOURCE_EXHAUSTED && attempt < 300) {
                          try {
                            Thread.sleep(1000);
                          } catch (InterruptedException interrupted) {
                            Thread.currentThread().interrupt();
                            return;
                          }
                          continue;
                        }
                        failures.add(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
                        break;
                      }
                      }
                    }
                  }));
    }
    for (Thread t : workers) {
      t.join();
    }
    if (!failures.isEmpty()) {
      throw new BenchException("creating the setup users failed: " + failures.peek());
    }
    return new UserPool(new ArrayList<>(ids));
  }
}
