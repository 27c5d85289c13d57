package dev.shopmesh.notification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Timestamp;
import dev.shopmesh.events.v1.OrderEvent;
import dev.shopmesh.notification.v1.ListNotificationsRequest;
import dev.shopmesh.notification.v1.ListNotificationsResponse;
import dev.shopmesh.notification.v1.Notification;
import dev.shopmesh.notification.v1.NotificationServiceGrpc;
import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.testkit.SagaInvariants;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestKafka;
import dev.shopmesh.testkit.TestPostgres;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** notification-svc through its production wiring, fed by a real Kafka broker. */
class NotificationServiceTest {
  private TestKafka kafka;
  private String topic;
  private Env env;
  private DataSource db;
  private Main.Running service;
  private ManagedChannel channel;
  private NotificationServiceGrpc.NotificationServiceBlockingStub client;
  private final List<NotificationRow> sent = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    kafka = TestKafka.shared();
    topic = kafka.newTopic("order-events", 3);
    env =
        TestEnv.service(
            "notifications",
            Map.of("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(), "ORDER_EVENTS_TOPIC", topic,
                "NOTIFICATION_GROUP_ID", "notification-svc-" + topic));
    db = TestPostgres.dataSource(TestEnv.databaseName(env));
    startService();
  }

  private void startService() {
    service = Main.wire(env, sent::add);
    channel = ManagedChannelBuilder.forAddress("localhost", service.server().port()).usePlaintext().build();
    client = NotificationServiceGrpc.newBlockingStub(channel);
  }

  private void stopService() {
    channel.shutdownNow();
    service.server().stop();
  }

  @AfterEach
  void stop() {
    stopService();
  }

  private static OrderEvent event(UUID user, UUID order, long sequence, OrderEvent.Type type) {
    return OrderEvent.newBuilder()
        .setEventId(Ids.newId().toString())
        .setOrderId(order.toString())
        .setUserId(user.toString())
        .setSequence(sequence)
        .setOccurredAt(Timestamp.newBuilder().setSeconds(1_800_000_000L + sequence))
        .setType(type)
        .setOrderState(OrderEvent.OrderState.CONFIRMED)
        .setTotalMinor(2599)
        .setCurrencyCode("EUR")
        .build();
  }

  private void publish(OrderEvent... events) {
    kafka.publish(topic, java.util.Arrays.stream(events).map(e -> Map.entry(e.getOrderId(), e.toByteArray())).toList());
  }

  /** {@code user}'s own notifications, as they list them with their token. */
  private List<Notification> list(UUID user) {
    return as(user).listNotifications(ListNotificationsRequest.getDefaultInstance()).getNotificationsList();
  }

  private NotificationServiceGrpc.NotificationServiceBlockingStub as(UUID user) {
    return TestIdentity.as(client, TestIdentity.shared().token(user, "customer"));
  }

  private long rows(String sql) {
    return SagaInvariants.count(db, sql);
  }

  @Test
  void eachEventBecomesOneNotificationAlthoughTheBrokerDeliversItTwice() {
    UUID user = Ids.newId();
    UUID order = Ids.newId();
    OrderEvent confirmed = event(user, order, 1, OrderEvent.Type.ORDER_CONFIRMED);
    OrderEvent cancelled = event(user, order, 2, OrderEvent.Type.ORDER_CANCELLED);
    publish(confirmed, confirmed, cancelled, confirmed);

    awaitTrue(() -> service.consumer().recorded() + service.consumer().duplicates() == 4);
    assertThat(list(user)).extracting(Notification::getEventId).containsExactly(cancelled.getEventId(), confirmed.getEventId());
    assertThat(sent).as("the notifier is called once per event").hasSize(2);
    assertThat(service.consumer().duplicates()).isEqualTo(2);
    assertThat(list(user).getLast().getMessage()).contains("25.99 EUR").contains("confirmed");
  }

  @Test
  void anUnreadableRecordIsParkedAndTheConsumerGoesOn() {
    UUID user = Ids.newId();
    OrderEvent after = event(user, Ids.newId(), 1, OrderEvent.Type.ORDER_DECLINED);
    kafka.publish(topic, List.of(Map.entry(after.getOrderId(), "not a protobuf {".getBytes(StandardCharsets.UTF_8))));
    OrderEvent noType = after.toBuilder().setEventId(Ids.newId().toString()).setType(OrderEvent.Type.TYPE_UNSPECIFIED).build();
    publish(noType, after);

    awaitTrue(() -> service.consumer().recorded() == 1);
    assertThat(list(user)).extracting(Notification::getKind).containsExactly(Notification.Kind.ORDER_DECLINED);
    assertThat(rows("SELECT count(*) FROM parked_events")).isEqualTo(2);
    assertThat(service.consumer().parked()).isEqualTo(2);
  }

  @Test
  void aRestartedServiceDoesNotNotifyAgain() {
    UUID user = Ids.newId();
    publish(event(user, Ids.newId(), 1, OrderEvent.Type.ORDER_CONFIRMED));
    awaitTrue(() -> sent.size() == 1);

    stopService();
    startService();
    OrderEvent later = event(user, Ids.newId(), 1, OrderEvent.Type.ORDER_CONFIRMED);
    publish(later);
    awaitTrue(() -> sent.size() >= 2);

    assertThat(sent).extracting(NotificationRow::eventId).doesNotHaveDuplicates();
    assertThat(list(user)).hasSize(2);
  }

  @Test
  void aUserSeesOnlyTheirOwnNewestFirstPageByPage() {
    UUID ada = Ids.newId();
    UUID bob = Ids.newId();
    UUID order = Ids.newId();
    publish(
        event(ada, order, 1, OrderEvent.Type.ORDER_CONFIRMED),
        event(bob, Ids.newId(), 1, OrderEvent.Type.ORDER_DECLINED),
        event(ada, order, 2, OrderEvent.Type.ORDER_CANCELLED),
        event(ada, order, 3, OrderEvent.Type.ORDER_REFUNDED));
    awaitTrue(() -> service.consumer().recorded() == 4);

    ListNotificationsResponse first =
        as(ada).listNotifications(ListNotificationsRequest.newBuilder().setPageSize(2).build());
    assertThat(first.getNotificationsList()).extracting(Notification::getSequence).containsExactly(3L, 2L);
    ListNotificationsResponse second =
        as(ada).listNotifications(ListNotificationsRequest.newBuilder().setPageSize(2).setPageToken(first.getNextPageToken()).build());
    assertThat(second.getNotificationsList()).extracting(Notification::getSequence).containsExactly(1L);
    assertThat(second.getNextPageToken()).isEmpty();
    assertThat(list(bob)).extracting(Notification::getKind).containsExactly(Notification.Kind.ORDER_DECLINED);

    assertThatThrownBy(
            () ->
                as(bob).listNotifications(ListNotificationsRequest.newBuilder().setPageToken(first.getNextPageToken()).build()))
        .as("a token of one user's list does not page through another's")
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void aCustomerCannotReadAnotherCustomersNotificationsButAnAdminCan() {
    UUID ada = Ids.newId();
    UUID bob = Ids.newId();
    publish(event(ada, Ids.newId(), 1, OrderEvent.Type.ORDER_CONFIRMED));
    awaitTrue(() -> service.consumer().recorded() == 1);
    ListNotificationsRequest adas = ListNotificationsRequest.newBuilder().setUserId(ada.toString()).build();

    assertThatThrownBy(() -> as(bob).listNotifications(adas))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    ListNotificationsRequest nobodys = ListNotificationsRequest.newBuilder().setUserId(Ids.newId().toString()).build();
    assertThatThrownBy(() -> as(bob).listNotifications(nobodys))
        .as("a user that does not exist reads the same: ids cannot be probed")
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    assertThat(as(ada).listNotifications(adas).getNotificationsList()).hasSize(1);
    assertThat(TestIdentity.as(client, TestIdentity.shared().adminToken()).listNotifications(adas).getNotificationsList())
        .extracting(Notification::getUserId)
        .containsExactly(ada.toString());
  }

  @Test
  void withoutATokenTheListIsUnauthenticated() {
    assertThatThrownBy(() -> client.listNotifications(ListNotificationsRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  @Test
  void aBadUserIdIsInvalidArgument() {
    assertThatThrownBy(() -> as(Ids.newId()).listNotifications(ListNotificationsRequest.newBuilder().setUserId("bob").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  static void awaitTrue(BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 60 s");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
