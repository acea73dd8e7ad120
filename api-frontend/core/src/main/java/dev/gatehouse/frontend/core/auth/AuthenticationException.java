package dev.gatehouse.frontend.core.auth;

/** A credential that does not authenticate; the message is safe to show (it never holds the credential). */
public class AuthenticationException extends Exception {
  public AuthenticationException(String message) {
    super(message, null, false, false);
  }
}
