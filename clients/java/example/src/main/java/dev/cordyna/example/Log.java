package dev.cordyna.example;

import java.time.Instant;

/** One line per event on stderr, so stdout stays free for whatever the tasks print. */
final class Log {
  private Log() {}

  static void info(String format, Object... args) {
    System.err.println(Instant.now() + " " + String.format(format, args));
  }
}
