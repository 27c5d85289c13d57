package dev.shopmesh.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy in front of a service that injects network faults for real: refused connections,
 * slow requests, responses held back, connections cut. The service behind it does its work as
 * usual; only the bytes on the wire are disturbed.
 */
public final class FaultProxy implements AutoCloseable {
  /** What happens to connections and bytes. */
  public enum Mode {
    /** Forward everything. */
    PASS,
    /** Cut open connections, and accept and close new ones at once: the peer looks down. */
    REFUSE,
    /** Forward requests but keep the service's answers back, until {@link #cutAll()}. */
    HOLD_RESPONSES
  }

  private final ServerSocket listener;
  private final int targetPort;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile Mode mode = Mode.PASS;
  private volatile Duration requestDelay = Duration.ZERO;

  private FaultProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().name("fault-proxy-" + port()).start(this::acceptLoop);
  }

  public static FaultProxy to(int targetPort) {
    try {
      return new FaultProxy(targetPort);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public int port() {
    return listener.getLocalPort();
  }

  public String target() {
    return "localhost:" + port();
  }

  public FaultProxy mode(Mode mode) {
    this.mode = mode;
    if (mode == Mode.REFUSE) {
      cutAll();
    }
    return this;
  }

  /** Delays every chunk of request bytes by {@code delay} (a slow network or a slow peer). */
  public FaultProxy delayRequests(Duration delay) {
    this.requestDelay = delay;
    return this;
  }

  /** Closes every open connection at once, dropping whatever was held back. */
  public void cutAll() {
    for (Socket s : sockets) {
      closeQuietly(s);
    }
    sockets.clear();
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return;
      }
      if (mode == Mode.REFUSE) {
        closeQuietly(client);
        continue;
      }
      try {
        Socket server = new Socket();
        server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 1000);
        sockets.add(client);
        sockets.add(server);
        Thread.ofVirtual().start(() -> pump(client, server, true));
        Thread.ofVirtual().start(() -> pump(server, client, false));
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private void pump(Socket from, Socket to, boolean request) {
    byte[] buf = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      for (int n; (n = in.read(buf)) != -1; ) {
        if (request && !requestDelay.isZero()) {
          Thread.sleep(requestDelay);
        }
        if (!request && mode == Mode.HOLD_RESPONSES) {
          continue; // held back, and lost when the connection is cut
        }
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // connection closed or cut
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      sockets.remove(from);
      sockets.remove(to);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException ignored) {
      // already closed
    }
    cutAll();
  }
}
