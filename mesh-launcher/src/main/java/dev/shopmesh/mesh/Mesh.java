package dev.shopmesh.mesh;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** The launcher's own console output: one line per event, prefixed like the children's. */
final class Mesh {
  static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  private Mesh() {}

  static void say(String message) {
    line("mesh", message);
  }

  static synchronized void line(String who, String message) {
    OUT.printf("%-14s| %s%n", who, message);
  }
}
