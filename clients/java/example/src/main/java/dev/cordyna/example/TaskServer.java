package dev.cordyna.example;

import com.google.protobuf.Timestamp;
import dev.cordyna.v1.Ack;
import dev.cordyna.v1.AttemptProgress;
import dev.cordyna.v1.Cancel;
import dev.cordyna.v1.ConnectRequest;
import dev.cordyna.v1.ConnectResponse;
import dev.cordyna.v1.DeclarationIssue;
import dev.cordyna.v1.Drain;
import dev.cordyna.v1.Heartbeat;
import dev.cordyna.v1.Hello;
import dev.cordyna.v1.Invoke;
import dev.cordyna.v1.LogLevel;
import dev.cordyna.v1.LogLine;
import dev.cordyna.v1.LogStream;
import dev.cordyna.v1.LogsRefused;
import dev.cordyna.v1.Pong;
import dev.cordyna.v1.ProtocolVersion;
import dev.cordyna.v1.Refusal;
import dev.cordyna.v1.Rejection;
import dev.cordyna.v1.TaskDeclaration;
import dev.cordyna.v1.TaskLogs;
import dev.cordyna.v1.TaskServerServiceGrpc;
import dev.cordyna.v1.TaskState;
import dev.cordyna.v1.TaskStateUpdate;
import dev.cordyna.v1.Welcome;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One task-server instance: a single TaskServerService.Connect stream to
 * cerebro, kept open (with reconnects) until {@link #drain()}.
 *
 * <p>Every piece of session state (the stream, the outbox, the attempts) is
 * touched only on one thread, the session loop; gRPC callbacks, timers and
 * finished work hop onto it. Task code runs on worker threads and is stopped
 * by interruption when cerebro cancels it.
 */
public final class TaskServer {
  /**
   * The work of one task: returns its outputs, or throws to report ERROR with the message.
   * Lines given to {@code log} go to the attempt's log in cerebro; {@code progress} says how far
   * it got, and that it is alive (a heartbeat, for the task's heartbeat deadline).
   */
  @FunctionalInterface
  public interface Task {
    Map<String, String> run(Invoke invoke, Consumer<String> log, Progress progress)
        throws Exception;
  }

  /** How a task's work says how far it got. Any thread may call it. */
  @FunctionalInterface
  public interface Progress {
    /** {@code fraction} from 0 to 1, and what the work is doing. */
    void report(double fraction, String message);
  }

  private static final String AGENT = "cordyna-example-java/0.1.0";
  private static final ProtocolVersion PROTOCOL =
      ProtocolVersion.newBuilder().setMajor(1).setMinor(0).build();
  private static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
  /** Protocol 1.3: a cerebro whose Welcome says 1.3 or later keeps attempts' logs. */
  private static final int TASK_LOGS_MINOR = 3;
  /** Protocol 1.4: a cerebro whose Welcome says 1.4 or later takes AttemptProgress. */
  private static final int ATTEMPT_PROGRESS_MINOR = 4;
  /** The most lines one TaskLogs message carries (the proto's limit); more count as dropped. */
  private static final int MAX_LOG_LINES = 1000;
  private static final long INITIAL_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 2_000;
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration ACK_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);
  /** Finished attempt ids remembered so that a repeated Invoke is not run again. */
  private static final int REMEMBERED_FINISHED = 10_000;

  private final String address;
  private final boolean plaintext;
  private final boolean withToken;
  private final String serverName;
  private final String instanceId;
  private final int maxConcurrency;
  private final Map<String, Task> tasks = new LinkedHashMap<>();
  private final List<TaskDeclaration> declarations = new ArrayList<>();

  private final ManagedChannel channel;
  private final TaskServerServiceGrpc.TaskServerServiceStub stub;
  private final ScheduledExecutorService loop =
      Executors.newSingleThreadScheduledExecutor(daemonThreads("cordyna-session"));
  // Unbounded on purpose: slots are counted by the server, and a cancelled task
  // that is slow to notice its interrupt must not hold up the next one.
  private final ExecutorService workers = Executors.newCachedThreadPool(daemonThreads("task"));

  // Session state, confined to the loop thread.
  private final Outbox outbox = new Outbox();
  private final Map<String, Attempt> running = new LinkedHashMap<>();
  private final Deque<Attempt> queued = new ArrayDeque<>();
  private final Set<String> finished = new LinkedHashSet<>();
  private Stream stream;
  private boolean welcomed;
  /** The current stream's cerebro keeps attempts' logs (protocol 1.3). */
  private boolean takesLogs;
  /** The current stream's cerebro takes AttemptProgress (protocol 1.4). */
  private boolean takesProgress;
  /** Until the first Welcome, a refusal of who this server is ends it: retrying changes nothing. */
  private boolean everWelcomed;
  private boolean draining;
  private boolean closing;
  private int failures;
  private ScheduledFuture<?> heartbeats;

  private final CompletableFuture<Integer> stopped = new CompletableFuture<>();
  private final CompletableFuture<Void> idle = new CompletableFuture<>();
  private final CompletableFuture<Void> allAcknowledged = new CompletableFuture<>();
  private final CompletableFuture<Void> streamClosed = new CompletableFuture<>();
  /** Puts each handler in a child span of its attempt's span. */
  private final Tracing tracing;

  /**
   * {@code credentials}: TLS ({@code TlsChannelCredentials}) or plaintext (insecure).
   * {@code token}: sent as {@code authorization: Bearer <token>} on every stream, or null for
   * none; cerebro with authentication on refuses a stream without one.
   */
  public TaskServer(String address, ChannelCredentials credentials, String token,
      String serverName, int maxConcurrency, Tracing tracing) {
    this.address = address;
    this.tracing = tracing;
    this.plaintext = credentials instanceof InsecureChannelCredentials;
    this.withToken = token != null;
    this.serverName = serverName;
    this.instanceId = serverName + "-" + ProcessHandle.current().pid() + "-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong());
    this.maxConcurrency = maxConcurrency;
    // Cerebro cuts clients that ping more often than every 5 s.
    this.channel = Grpc.newChannelBuilder(address, credentials)
        .keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveTimeout(5, TimeUnit.SECONDS)
        .build();
    TaskServerServiceGrpc.TaskServerServiceStub stub = TaskServerServiceGrpc.newStub(channel);
    if (token != null) {
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
          "Bearer " + token);
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    this.stub = stub;
  }

  /** Declares a task and the code that runs it; call before {@link #run()}. */
  public TaskServer task(TaskDeclaration declaration, Task task) {
    declarations.add(declaration);
    tasks.put(declaration.getId(), task);
    return this;
  }

  /**
   * Connects and serves until cerebro rejects the declarations; returns the
   * exit code. A drain ends the process from its own thread instead.
   */
  public int run() {
    Log.info("starting %s (instance %s): cerebro %s%s%s, %d tasks, max concurrency %d",
        serverName, instanceId, address, plaintext ? "" : " over TLS",
        withToken ? " with CORDYNA_TOKEN" : "", tasks.size(), maxConcurrency);
    loop.execute(this::open);
    return stopped.join();
  }

  /**
   * Shuts down gently: says Drain, takes no new invokes, lets running and
   * queued attempts finish (bounded), waits for the acks of their final
   * updates (bounded), then half-closes the stream. Returns false when the
   * server had already stopped (e.g. rejected), so there was nothing to drain.
   */
  public boolean drain() {
    boolean started = onLoop(() -> {
      if (stopped.isDone() || draining) return false;
      draining = true;
      Log.info("draining: no new invokes; %d running, %d queued", running.size(), queued.size());
      if (welcomed) send(b -> b.setDrain(Drain.getDefaultInstance()));
      checkDrained();
      return true;
    });
    if (!started) return false;
    if (!await(idle, DRAIN_TIMEOUT)) {
      onLoop(() -> {
        Log.info("drain timed out after %s; giving up on %s", DRAIN_TIMEOUT, activeAttemptIds());
        giveUpAll("task-server shut down before the attempt finished");
        return null;
      });
    }
    if (!await(allAcknowledged, ACK_TIMEOUT)) {
      Log.info("%d final updates not acknowledged within %s", onLoop(outbox::size), ACK_TIMEOUT);
    }
    onLoop(() -> {
      closing = true;
      stopHeartbeats();
      if (stream != null) {
        stream.requests.onCompleted();
      } else {
        streamClosed.complete(null);
      }
      return null;
    });
    if (!await(streamClosed, CLOSE_TIMEOUT)) Log.info("cerebro did not end the stream in time");
    channel.shutdownNow();
    Log.info("drained");
    return true;
  }

  // ── the stream ────────────────────────────────────────────────────────────

  /** One Connect call; its callbacks are ignored once a newer stream replaced it. */
  private final class Stream implements StreamObserver<ConnectResponse> {
    StreamObserver<ConnectRequest> requests;

    @Override
    public void onNext(ConnectResponse response) {
      post(() -> {
        if (stream == this) handle(response);
      });
    }

    @Override
    public void onError(Throwable error) {
      post(() -> ended(this, Status.fromThrowable(error)));
    }

    @Override
    public void onCompleted() {
      post(() -> ended(this, Status.OK));
    }
  }

  private void open() {
    if (closing) return;
    // The channel backs off on its own, up to minutes; ours is the one that counts.
    channel.resetConnectBackoff();
    Stream next = new Stream();
    stream = next;
    next.requests = stub.connect(next);
    next.requests.onNext(ConnectRequest.newBuilder().setHello(hello()).build());
    Log.info("connecting to %s: Hello sent", address);
  }

  private Hello hello() {
    // Attempts with unacknowledged updates are listed too, or cerebro would
    // take them as lost before their resent updates arrive.
    Set<String> attemptIds = new LinkedHashSet<>(activeAttemptIds());
    attemptIds.addAll(outbox.attemptIds());
    return Hello.newBuilder()
        .setServerName(serverName)
        .setInstanceId(instanceId)
        .setProtocolVersion(PROTOCOL)
        .addAllTasks(declarations)
        .addAllRunningAttemptIds(attemptIds)
        .setMaxConcurrency(maxConcurrency)
        .setAgent(AGENT)
        .build();
  }

  private void ended(Stream ended, Status status) {
    if (stream != ended) return;
    stream = null;
    welcomed = false;
    outbox.close();
    stopHeartbeats();
    if (closing) {
      Log.info("stream closed (%s)", describe(status));
      streamClosed.complete(null);
      return;
    }
    if (!everWelcomed && (status.getCode() == Status.Code.UNAUTHENTICATED
        || status.getCode() == Status.Code.PERMISSION_DENIED)) {
      Log.info("cerebro refused this task-server: %s", status.getDescription());
      closing = true;
      stopped.complete(1);
      return;
    }
    long ceiling = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS << Math.min(failures, 16));
    failures++;
    long delay = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    Log.info("stream lost (%s); %d running, %d unacknowledged; reconnecting in %d ms",
        describe(status), running.size(), outbox.size(), delay);
    loop.schedule(this::open, delay, TimeUnit.MILLISECONDS);
  }

  private void handle(ConnectResponse response) {
    switch (response.getMessageCase()) {
      case WELCOME -> onWelcome(response.getWelcome());
      case REJECTION -> onRejection(response.getRejection());
      case INVOKE -> onInvoke(response.getInvoke());
      case CANCEL -> onCancel(response.getCancel());
      case ACK -> onAck(response.getAck());
      case REFUSAL -> onRefusal(response.getRefusal());
      case PING -> send(b -> b.setPong(Pong.newBuilder().setNonce(response.getPing().getNonce())));
      case LOGS_REFUSED -> {
        LogsRefused refused = response.getLogsRefused();
        Log.info("%s: %d log lines not kept: %s %s", refused.getAttemptId(), refused.getLines(),
            refused.getCode(), refused.getMessage());
      }
      default -> Log.info("ignoring an unknown message from cerebro");
    }
  }

  private void onWelcome(Welcome welcome) {
    welcomed = true;
    takesLogs = welcome.getProtocolVersion().getMajor() == 1
        && welcome.getProtocolVersion().getMinor() >= TASK_LOGS_MINOR;
    takesProgress = welcome.getProtocolVersion().getMajor() == 1
        && welcome.getProtocolVersion().getMinor() >= ATTEMPT_PROGRESS_MINOR;
    everWelcomed = true;
    failures = 0;
    for (DeclarationIssue warning : welcome.getWarningsList()) {
      Log.info("declaration warning %s on %s: %s",
          warning.getCode(), warning.getTaskId(), warning.getMessage());
    }
    long intervalMs = welcome.hasHeartbeatInterval()
        ? welcome.getHeartbeatInterval().getSeconds() * 1000
            + welcome.getHeartbeatInterval().getNanos() / 1_000_000
        : 0;
    if (intervalMs <= 0) intervalMs = DEFAULT_HEARTBEAT.toMillis();
    Log.info("welcomed: session %s, heartbeat every %d ms", welcome.getSessionId(), intervalMs);
    heartbeats =
        loop.scheduleAtFixedRate(this::heartbeat, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    for (String attemptId : welcome.getUnknownAttemptIdsList()) {
      cancel(attemptId, "cerebro no longer wants it", false);
    }
    List<TaskStateUpdate> unacknowledged = outbox.open();
    if (!unacknowledged.isEmpty()) {
      Log.info("resending %d unacknowledged updates", unacknowledged.size());
    }
    unacknowledged.forEach(update -> send(b -> b.setTaskState(update)));
    if (draining) send(b -> b.setDrain(Drain.getDefaultInstance()));
  }

  private void onRejection(Rejection rejection) {
    Log.info("rejected by cerebro: %s", rejection.getMessage());
    for (DeclarationIssue issue : rejection.getErrorsList()) {
      Log.info("  %s on %s: %s", issue.getCode(), issue.getTaskId(), issue.getMessage());
    }
    closing = true;
    stopHeartbeats();
    stopped.complete(1);
  }

  private void onAck(Ack ack) {
    outbox.ack(ack.getThroughSeq());
    checkDrained();
  }

  private void onRefusal(Refusal refusal) {
    if (refusal.getSeq() == 0) {
      // Seq 0 refuses an AttemptProgress: this example sends the next anyway.
      Log.info("progress of %s refused: %s %s",
          refusal.getAttemptId(), refusal.getCode(), refusal.getMessage());
      return;
    }
    Log.info("update %d of %s refused: %s %s",
        refusal.getSeq(), refusal.getAttemptId(), refusal.getCode(), refusal.getMessage());
    outbox.settle(refusal.getSeq());
    checkDrained();
  }

  private void heartbeat() {
    if (!welcomed) return;
    send(b -> b.setHeartbeat(Heartbeat.newBuilder().addAllRunningAttemptIds(activeAttemptIds())));
  }

  private void stopHeartbeats() {
    if (heartbeats != null) heartbeats.cancel(false);
    heartbeats = null;
  }

  private void send(Consumer<ConnectRequest.Builder> message) {
    if (stream == null) return;
    ConnectRequest.Builder request = ConnectRequest.newBuilder();
    message.accept(request);
    stream.requests.onNext(request.build());
  }

  // ── attempts ──────────────────────────────────────────────────────────────

  /** One attempt: its work, cancellable by interruption; done() reports back on the loop. */
  private final class Attempt extends FutureTask<Map<String, String>> {
    final Invoke invoke;
    /** What the task logged: written by its worker, read on the loop once it is done. */
    final List<String> log;
    long startedAt;
    /** Set once cerebro cancelled it (or gave up on it): its own result no longer counts. */
    String cancelReason;
    boolean reportCancel;

    Attempt(Invoke invoke, Task task) {
      this(invoke, task, Collections.synchronizedList(new ArrayList<>()));
    }

    private Attempt(Invoke invoke, Task task, List<String> log) {
      super(() -> tracing.inHandlerSpan(invoke, () -> task.run(invoke, log::add,
          (fraction, message) -> post(() -> sendProgress(invoke.getAttemptId(), fraction,
              message)))));
      this.invoke = invoke;
      this.log = log;
    }

    String id() {
      return invoke.getAttemptId();
    }

    @Override
    protected void done() {
      post(() -> finished(this));
    }
  }

  private void onInvoke(Invoke invoke) {
    String attemptId = invoke.getAttemptId();
    if (running.containsKey(attemptId) || finished.contains(attemptId)
        || queued.stream().anyMatch(a -> a.id().equals(attemptId))) {
      Log.info("duplicate invoke of %s ignored", attemptId);
      return;
    }
    Task task = tasks.get(invoke.getTaskId());
    if (task == null) {
      refuse(invoke, "unknown task " + invoke.getTaskId(), true);
    } else if (draining) {
      refuse(invoke, "task-server is draining; invoke another instance", false);
    } else {
      Attempt attempt = new Attempt(invoke, task);
      if (running.size() < maxConcurrency) {
        start(attempt);
      } else {
        queued.add(attempt);
        Log.info("%s %s queued (%d waiting)", invoke.getTaskId(), attemptId, queued.size());
        report(attemptId, TaskState.TASK_STATE_QUEUED, b -> {});
      }
    }
  }

  private void refuse(Invoke invoke, String description, boolean nonRetryable) {
    remember(invoke.getAttemptId());
    Log.info("%s %s refused: %s", invoke.getTaskId(), invoke.getAttemptId(), description);
    report(invoke.getAttemptId(), TaskState.TASK_STATE_ERROR,
        b -> b.setErrorDescription(description).setNonRetryable(nonRetryable));
  }

  private void start(Attempt attempt) {
    running.put(attempt.id(), attempt);
    attempt.startedAt = System.nanoTime();
    report(attempt.id(), TaskState.TASK_STATE_STARTED, b -> {});
    Log.info("%s %s started (attempt %d, run %s)", attempt.invoke.getTaskId(), attempt.id(),
        attempt.invoke.getAttemptNumber(), attempt.invoke.getRunId());
    workers.execute(attempt);
  }

  private void finished(Attempt attempt) {
    if (running.remove(attempt.id()) == null) return;
    remember(attempt.id());
    String what = attempt.invoke.getTaskId() + " " + attempt.id();
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - attempt.startedAt);
    if (attempt.cancelReason != null) {
      Log.info("%s stopped after %d ms: %s", what, ms, attempt.cancelReason);
      if (attempt.reportCancel) {
        report(attempt.id(), TaskState.TASK_STATE_ERROR,
            b -> b.setErrorDescription("cancelled: " + attempt.cancelReason));
      }
    } else {
      // Before the final update: a follower of the attempt's log stops at it.
      sendLogs(attempt);
      try {
        Map<String, String> outputs = attempt.get();
        Log.info("%s completed in %d ms", what, ms);
        report(attempt.id(), TaskState.TASK_STATE_COMPLETED,
            b -> b.putAllOutputs(outputs == null ? Map.of() : outputs));
      } catch (ExecutionException failure) {
        String description = describe(failure.getCause());
        Log.info("%s failed after %d ms: %s", what, ms, description);
        report(attempt.id(), TaskState.TASK_STATE_ERROR, b -> b.setErrorDescription(description));
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    while (running.size() < maxConcurrency && !queued.isEmpty()) start(queued.poll());
    checkDrained();
  }

  /**
   * Sends what a running attempt says of its progress, when the stream's cerebro takes it
   * (protocol 1.4); without a welcomed stream it is dropped, as is that of an attempt that has
   * ended or is being cancelled.
   */
  private void sendProgress(String attemptId, double fraction, String message) {
    Attempt attempt = running.get(attemptId);
    if (attempt == null || attempt.cancelReason != null || !welcomed || !takesProgress) return;
    send(b -> b.setAttemptProgress(AttemptProgress.newBuilder()
        .setAttemptId(attemptId)
        .setFraction(Math.min(1, Math.max(0, fraction)))
        .setMessage(message)));
  }

  /**
   * Sends what an attempt logged, when the stream's cerebro keeps logs. Lines logged while no
   * stream is welcomed are not kept: this example sends them once, when the attempt ends.
   */
  private void sendLogs(Attempt attempt) {
    List<String> lines;
    synchronized (attempt.log) {
      lines = new ArrayList<>(attempt.log);
    }
    if (lines.isEmpty() || !welcomed || !takesLogs) return;
    int dropped = Math.max(0, lines.size() - MAX_LOG_LINES);
    Instant now = Instant.now();
    Timestamp time =
        Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
    TaskLogs.Builder logs =
        TaskLogs.newBuilder().setAttemptId(attempt.id()).setDroppedLines(dropped);
    for (String text : lines.subList(dropped, lines.size())) {
      logs.addLines(LogLine.newBuilder()
          .setTime(time)
          .setLevel(LogLevel.LOG_LEVEL_INFO)
          .setStream(LogStream.LOG_STREAM_LOGGER)
          .setText(text));
    }
    send(b -> b.setTaskLogs(logs));
  }

  private void onCancel(Cancel cancel) {
    String reason = cancel.getReason().isEmpty() ? "cancelled by cerebro" : cancel.getReason();
    cancel(cancel.getAttemptId(), reason, true);
  }

  /** Stops an attempt; with {@code report}, reports ERROR for it (cerebro records CANCELLED). */
  private void cancel(String attemptId, String reason, boolean report) {
    Attempt attempt = running.get(attemptId);
    if (attempt != null) {
      if (attempt.cancelReason != null) return;
      attempt.cancelReason = reason;
      attempt.reportCancel = report;
      Log.info("%s %s cancelled: %s", attempt.invoke.getTaskId(), attemptId, reason);
      attempt.cancel(true);
      return;
    }
    for (Attempt waiting : queued) {
      if (waiting.id().equals(attemptId)) {
        queued.remove(waiting);
        remember(attemptId);
        Log.info("%s %s cancelled before it started: %s",
            waiting.invoke.getTaskId(), attemptId, reason);
        if (report) {
          report(attemptId, TaskState.TASK_STATE_ERROR,
              b -> b.setErrorDescription("cancelled: " + reason));
        }
        checkDrained();
        return;
      }
    }
    Log.info("cancel of %s ignored: not running here", attemptId);
  }

  /** A drain that ran out of time: reports every remaining attempt as a retryable ERROR. */
  private void giveUpAll(String description) {
    for (String attemptId : activeAttemptIds()) {
      report(attemptId, TaskState.TASK_STATE_ERROR, b -> b.setErrorDescription(description));
      cancel(attemptId, description, false);
    }
  }

  /** Attempts this instance still answers for: running (not cancelled), then queued. */
  private List<String> activeAttemptIds() {
    List<String> ids = new ArrayList<>();
    running.values().stream().filter(a -> a.cancelReason == null).forEach(a -> ids.add(a.id()));
    queued.forEach(a -> ids.add(a.id()));
    return ids;
  }

  private void remember(String attemptId) {
    finished.add(attemptId);
    if (finished.size() > REMEMBERED_FINISHED) finished.remove(finished.iterator().next());
  }

  private void report(
      String attemptId, TaskState state, Consumer<TaskStateUpdate.Builder> details) {
    Instant now = Instant.now();
    TaskStateUpdate.Builder update = TaskStateUpdate.newBuilder()
        .setAttemptId(attemptId)
        .setState(state)
        .setTime(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()));
    details.accept(update);
    outbox.push(update.build()).ifPresent(stamped -> send(b -> b.setTaskState(stamped)));
  }

  private void checkDrained() {
    if (!draining) return;
    if (running.isEmpty() && queued.isEmpty()) idle.complete(null);
    if (idle.isDone() && outbox.isEmpty()) allAcknowledged.complete(null);
  }

  // ── plumbing ──────────────────────────────────────────────────────────────

  private void post(Runnable action) {
    try {
      loop.execute(action);
    } catch (RejectedExecutionException stopping) {
      // The loop only stops with the process.
    }
  }

  private <T> T onLoop(Callable<T> action) {
    try {
      return loop.submit(action).get();
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(interrupted);
    } catch (ExecutionException failure) {
      throw new IllegalStateException(failure.getCause());
    }
  }

  private static boolean await(CompletableFuture<?> future, Duration timeout) {
    try {
      future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException late) {
      return false;
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException failure) {
      return false;
    }
  }

  /** The code, the description's first line, and the root cause (e.g. an untrusted certificate). */
  private static String describe(Status status) {
    String description = status.getDescription();
    String text = description == null
        ? status.getCode().toString()
        : status.getCode() + ": " + description.lines().findFirst().orElse("");
    Throwable cause = status.getCause();
    if (cause == null) return text;
    while (cause.getCause() != null) cause = cause.getCause();
    return text + " (" + describe(cause) + ")";
  }

  private static String describe(Throwable error) {
    String message = error.getMessage();
    return message == null || message.isBlank() ? error.getClass().getSimpleName() : message;
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
