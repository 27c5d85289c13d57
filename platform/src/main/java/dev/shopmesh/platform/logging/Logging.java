package dev.shopmesh.platform.logging;

import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Logging set-up. Output format and level come from {@code logback.xml}: {@code LOG_FORMAT}
 * ({@code text} or {@code json}) and {@code LOG_LEVEL}. Libraries that log through
 * java.util.logging (gRPC among them) are routed to the same place.
 */
public final class Logging {
  private Logging() {}

  public static synchronized void install() {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }
}
