package dev.shopmesh.user;

import dev.shopmesh.platform.Ids;
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
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** The gRPC face of user-svc: validates requests, calls the store, maps results and errors. */
final class UserApi extends UserServiceGrpc.UserServiceImplBase {
  static final Errors ERRORS = new Errors("user.shopmesh.dev");
  private static final String LIST_SCOPE = "users";

  private final UserStore store;
  private final PageToken pageTokens;

  UserApi(UserStore store, PageToken pageTokens) {
    this.store = store;
    this.pageTokens = pageTokens;
  }

  @Override
  public void createUser(CreateUserRequest request, StreamObserver<User> response) {
    var violations = new FieldViolations();
    violations.check(request.hasUser(), "user", "is required");
    NewUser user = NewUser.validate(request.getUser(), "user.", violations);
    Optional<UUID> requestId = Ids.requestId(request.getRequestId(), violations);
    violations.throwIfAny(ERRORS);

    UserRow row =
        switch (store.create(user, requestId)) {
          case UserStore.CreateResult.Done done -> done.user();
          case UserStore.CreateResult.EmailTaken taken ->
              throw ERRORS.alreadyExists(
                  "EMAIL_ALREADY_EXISTS", "a user with this email already exists", Map.of());
          case UserStore.CreateResult.RequestIdReused reused ->
              throw ERRORS.invalidArgument(
                  "REQUEST_ID_REUSED",
                  new FieldViolations()
                      .add("request_id", "was already used for a different user"));
        };
    response.onNext(row.toProto());
    response.onCompleted();
  }

  @Override
  public void getUser(GetUserRequest request, StreamObserver<User> response) {
    var violations = new FieldViolations();
    Optional<UUID> id = Ids.parse(request.getUserId(), violations, "user_id", "a user id");
    violations.throwIfAny(ERRORS);

    UserRow row =
        store
            .get(id.orElseThrow())
            .orElseThrow(
                () ->
                    ERRORS.notFound("user", request.getUserId()));
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
