package dev.shopmesh.notification;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The default {@link Notifier}: one log line per notification, with no personal data. */
final class LoggingNotifier implements Notifier {
  private static final Logger log = LoggerFactory.getLogger(LoggingNotifier.class);

  @Override
  public void send(NotificationRow n) {
    log.info("notify user {} about order {} ({} #{}): {}", n.userId(), n.orderId(), n.kind(), n.sequence(), n.message());
  }
}
