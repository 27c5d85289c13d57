package dev.shopmesh.testkit;

import java.io.IOException;
import java.net.ServerSocket;

/** Free TCP ports, for processes that must be restarted on the same port. */
public final class FreePorts {
  private FreePorts() {}

  public static int next() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
