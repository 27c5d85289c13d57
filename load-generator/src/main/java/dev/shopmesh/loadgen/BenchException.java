package dev.shopmesh.loadgen;

/** A run that cannot go on, with a message for the person who started it. */
final class BenchException extends RuntimeException {
  BenchException(String message) {
    super(message);
  }

  BenchException(String message, Throwable cause) {
    super(message, cause);
  }
}
