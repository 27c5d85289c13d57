package dev.shopmesh.platform.auth;

/** Why an access token was not accepted. */
public final class TokenException extends Exception {
  /** What went wrong, which decides the answer: 401 for a bad token, 503 for missing keys. */
  public enum Kind {
    /** The token is malformed, expired, not ours or badly signed: UNAUTHENTICATED. */
    INVALID,
    /** The key set could not be fetched, so nothing can be verified: UNAVAILABLE. */
    KEYS_UNAVAILABLE
  }

  private final Kind kind;

  public TokenException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
