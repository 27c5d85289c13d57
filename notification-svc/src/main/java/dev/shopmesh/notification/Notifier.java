package dev.shopmesh.notification;

/**
 * Sends a notification to its user: by mail, push, SMS... The default only logs. It is called
 * once per new notification, after the transaction that recorded it has committed, so a sender
 * is never asked twice for the same event; a crash between that commit and the call loses that
 * one send (the notification is still recorded and listed).
 */
@FunctionalInterface
public interface Notifier {
  void send(NotificationRow notification);
}
