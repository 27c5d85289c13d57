package dev.shopmesh.user;

import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.auth.Caller;
import dev.shopmesh.platform.error.Errors;
import dev.shopmesh.platform.error.FieldViolations;
import dev.shopmesh.platform.paging.PageRequest;
import dev.shopmesh.platform.paging.PageToken;
import dev.shopmesh.user.v1.CreateUserRequest;
import dev.shopmesh.user.v1.GetUserRequest;
import dev.shopmesh.user.v1.ListUsersRequest;
import dev.shopmesh.user.v1.ListUsersResponse;
import dev.shopmesh.user.v1.User;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The gRPC face of user-svc: validates requests, calls the store, maps results and errors.
 * CreateUser is sign-up: a user with a password, always in the role customer only. GetUser gives
 * a customer their own user only; anyone else's id, and an id that does not exist, give the same
 * PERMISSION_DENIED (AIP-211), so ids cannot be probed. ListUsers is for admins (its rule).
 */
final class UserApi extends UserServiceGrpc.UserServiceImplBase {
  static final Errors ERRORS = new Errors("user.shopmesh.dev");
  private static final String LIST_SCOPE = "users";

  private final UserStore store;
  private final Passwords passwords;
  private final PageToken pageTokens;

  UserApi(UserStore store, Passwords passwords, PageToken pageTokens) {
    this.store = store;
    this.passwords = passwords;
    this.pageTokens = pageTokens;
  }

  /** No hashing slot came free: the client should retry shortly. */
  static io.grpc.StatusRuntimeException busy() {
    return ERRORS.resourceExhausted(
        "PASSWORD_HASHING_BUSY", "too many sign-ups and sign-ins at once; retry shortly", java.time.Duration.ofSeconds(1));
  }

  @Override
  public void createUser(CreateUserRequest request, StreamObserver<User> response) {
    var violations = new FieldViolations();
    violations.check(request.hasUser(), "user", "is required");
    NewUser user = NewUser.validate(request.getUser(), "user.", violations);
    Passwords.validate(request.getUser().getPassword(), "user.password", violations);
    Optional<UUID> requestId = Ids.requestId(request.getRequestId(), violations);
    violations.throwIfAny(ERRORS);

    String hash;
    try {
      hash = passwords.hash(request.getUser().getPassword());
    } catch (Passwords.Busy e) {
      throw busy();
    }
    // roles is OUTPUT_ONLY: whatever the request says, sign-up makes a customer.
    UserRow row =
        switch (store.create(user, hash, List.of(Caller.CUSTOMER), requestId)) {
          case UserStore.CreateResult.Done done when done.replay() && !samePassword(done.user(), request) ->
              throw requestIdReused();
          case UserStore.CreateResult.Done done -> done.user();
          case UserStore.CreateResult.EmailTaken taken ->
              throw ERRORS.alreadyExists(
                  "EMAIL_ALREADY_EXISTS", "a user with this email already exists", Map.of());
          case UserStore.CreateResult.RequestIdReused reused -> throw requestIdReused();
        };
    response.onNext(row.toProto());
    response.onCompleted();
  }

  private static io.grpc.StatusRuntimeException requestIdReused() {
    return ERRORS.invalidArgument(
        "REQUEST_ID_REUSED", new FieldViolations().add("request_id", "was already used for a different user"));
  }

  /** A replay must carry the same password too; checking it costs one hash. */
  private boolean samePassword(UserRow earlier, CreateUserRequest request) {
    try {
      return passwords.matches(request.getUser().getPassword(), store.passwordHash(earlier.userId()).orElse(null));
    } catch (Passwords.Busy e) {
      throw busy();
    }
  }

  @Override
  public void getUser(GetUserRequest request, StreamObserver<User> response) {
    var violations = new FieldViolations();
    Optional<UUID> id = Ids.parse(request.getUserId(), violations, "user_id", "a user id");
    violations.throwIfAny(ERRORS);

    Caller caller = Caller.require();
    UserRow row =
        store
            .get(id.orElseThrow(), caller.userId(), caller.isAdmin())
            .orElseThrow(
                () ->
                    ERRORS.notVisible("user", request.getUserId(), caller.isAdmin()));
    response.onNext(row.toProto());
    response.onCompleted();
  }

  @Override
  public void listUsers(ListUsersRequest request, StreamObserver<ListUsersResponse> response) {
    var violations = new FieldViolations();
    var paging = PageRequest.of(pageTokens, request.getPageSize(), request.getPageToken(), LIST_SCOPE, violations);
    violations.throwIfAny(ERRORS);

    var page = paging.pageOf(store.page(paging), UserRow::userId, UserRow::toProto);
    response.onNext(
        ListUsersResponse.newBuilder()
            .addAllUsers(page.items())
            .setNextPageToken(page.nextPageToken())
            .build());
    response.onCompleted();
  }
}
