package dev.shopmesh.notification;

import dev.shopmesh.notification.v1.ListNotificationsRequest;
import dev.shopmesh.notification.v1.ListNotificationsResponse;
import dev.shopmesh.notification.v1.NotificationServiceGrpc;
import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.auth.Caller;
import dev.shopmesh.platform.error.Errors;
import dev.shopmesh.platform.error.FieldViolations;
import dev.shopmesh.platform.paging.PageRequest;
import dev.shopmesh.platform.paging.PageToken;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.UUID;

/** The gRPC face of notification-svc: a user's notifications, newest first. */
final class NotificationApi extends NotificationServiceGrpc.NotificationServiceImplBase {
  static final Errors ERRORS = new Errors("notification.shopmesh.dev");

  private final NotificationStore store;
  private final PageToken pageTokens;

  NotificationApi(NotificationStore store, PageToken pageTokens) {
    this.store = store;
    this.pageTokens = pageTokens;
  }

  @Override
  public void listNotifications(ListNotificationsRequest request, StreamObserver<ListNotificationsResponse> response) {
    var violations = new FieldViolations();
    Optional<UUID> asked =
        request.getUserId().isEmpty() ? Optional.empty() : Ids.parse(request.getUserId(), violations, "user_id", "a user id");
    UUID whose = whose(asked, violations);
    // The token belongs to one user's list: it cannot page through another's.
    var paging = PageRequest.of(pageTokens, request.getPageSize(), request.getPageToken(), "notifications:" + whose, violations);
    violations.throwIfAny(ERRORS);

    var page = paging.pageOf(store.page(whose, paging), NotificationRow::notificationId, NotificationRow::toProto);
    var out = ListNotificationsResponse.newBuilder().setNextPageToken(page.nextPageToken()).addAllNotifications(page.items());
    response.onNext(out.build());
    response.onCompleted();
  }

  /**
   * Whose notifications the call may read: the caller's own when no user is named; another
   * user's for an admin only. A customer naming anyone else gets PERMISSION_DENIED, as for a user
   * that does not exist (AIP-211), so ids cannot be probed.
   */
  private static UUID whose(Optional<UUID> asked, FieldViolations violations) {
    Caller caller = Caller.require();
    UUID whose = asked.orElse(caller.userId());
    if (!caller.isAdmin() && !whose.equals(caller.userId()) && violations.isEmpty()) {
      throw ERRORS.permissionDenied(
          "NOTIFICATIONS_NOT_VISIBLE",
          "the notifications of user " + whose + " are not yours to read",
          java.util.Map.of("user_id", whose.toString()));
    }
    return whose;
  }
}
