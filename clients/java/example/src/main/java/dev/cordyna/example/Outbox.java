package dev.cordyna.example;

import dev.cordyna.v1.TaskStateUpdate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Keeps every TaskStateUpdate until cerebro acknowledges it, and numbers the
 * updates per stream: seq 1 for the first on a stream, +1 for each next one.
 * An update written while no stream is welcomed waits for the next {@link #open()},
 * which renumbers everything still unacknowledged for resending.
 *
 * <p>Not thread-safe: the {@link TaskServer} uses it from its session thread only.
 */
final class Outbox {
  private static final class Entry {
    final TaskStateUpdate update;
    /** The seq it was sent with on the current stream; 0 when not sent on it. */
    long seq;

    Entry(TaskStateUpdate update) {
      this.update = update;
    }
  }

  private final List<Entry> entries = new ArrayList<>();
  private long nextSeq = 1;
  private boolean open;

  /** Stores an update; returns it stamped with its seq when it can be sent now. */
  Optional<TaskStateUpdate> push(TaskStateUpdate update) {
    Entry entry = new Entry(update);
    entries.add(entry);
    return open ? Optional.of(stamp(entry)) : Optional.empty();
  }

  /** A new stream was welcomed: returns every unacknowledged update, renumbered from 1. */
  List<TaskStateUpdate> open() {
    open = true;
    nextSeq = 1;
    return entries.stream().map(this::stamp).toList();
  }

  /** The stream is gone: what was sent on it counts as unsent. */
  void close() {
    open = false;
    entries.forEach(entry -> entry.seq = 0);
  }

  /** Ack{through_seq}: drops every update sent on this stream up to and including it. */
  void ack(long throughSeq) {
    entries.removeIf(entry -> entry.seq != 0 && Long.compareUnsigned(entry.seq, throughSeq) <= 0);
  }

  /** Refusal{seq}: a refused update is acknowledged too, and must not be resent. */
  void settle(long seq) {
    entries.removeIf(entry -> entry.seq == seq);
  }

  /** Attempts with an update not yet acknowledged; cerebro keeps them across a reconnect. */
  Set<String> attemptIds() {
    Set<String> ids = new LinkedHashSet<>();
    entries.forEach(entry -> ids.add(entry.update.getAttemptId()));
    return ids;
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  int size() {
    return entries.size();
  }

  private TaskStateUpdate stamp(Entry entry) {
    entry.seq = nextSeq++;
    return entry.update.toBuilder().setSeq(entry.seq).build();
  }
}
