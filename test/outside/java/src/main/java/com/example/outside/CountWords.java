package com.example.outside;

import com.google.protobuf.Duration;
import dev.cordyna.v1.ConnectRequest;
import dev.cordyna.v1.ConnectResponse;
import dev.cordyna.v1.Dependency;
import dev.cordyna.v1.DependencyCondition;
import dev.cordyna.v1.Heartbeat;
import dev.cordyna.v1.Hello;
import dev.cordyna.v1.Invoke;
import dev.cordyna.v1.Owner;
import dev.cordyna.v1.Pong;
import dev.cordyna.v1.ProtocolVersion;
import dev.cordyna.v1.TaskDeclaration;
import dev.cordyna.v1.TaskServerServiceGrpc;
import dev.cordyna.v1.TaskState;
import dev.cordyna.v1.TaskStateUpdate;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Team outside's task-server: one task, {@code outside.java.count-words}.
 *
 * <p>The task needs team A's exchange rates first, fetched within the hour ({@code
 * a.fetch-rates}), and passes on what they say (how many currencies).
 *
 * <p>A project of its own that uses nothing of Cordyna but {@code dev.cordyna:cordyna-client}
 * (the generated messages and gRPC stubs). It keeps to the minimum of the protocol
 * (docs/protocol.md): Hello, Welcome, heartbeats, Pong, and for each Invoke a STARTED and a
 * COMPLETED update. It does not reconnect, resend unacknowledged updates or drain;
 * clients/java/example shows those.
 *
 * <pre>CORDYNA_ADDR=localhost:7070 java -jar target/outside-java.jar</pre>
 */
public final class CountWords implements StreamObserver<ConnectResponse> {
  private static final String SERVER_NAME = "outside-java";
  private static final String TASK_ID = "outside.java.count-words";
  private static final String RATES = "a.fetch-rates";

  /** The task: how many words the run's {@code text} param holds. */
  static Map<String, String> countWords(Invoke invoke) {
    String text = invoke.getParamsOrDefault("text", "").strip();
    int words = text.isEmpty() ? 0 : text.split("\\s+").length;
    // The Invoke carries the outputs of the task's upstream: team A's rates,
    // fetched in this run or reused from a fetch within the hour.
    String currencies =
        invoke.getUpstreamList().stream()
            .filter(upstream -> upstream.getTaskId().equals(RATES))
            .map(rates -> rates.getOutputsOrDefault("currencies", "unknown"))
            .findFirst()
            .orElse("unknown");
    return Map.of(
        "words", Integer.toString(words), "counted_by", "java", "currencies", currencies);
  }

  public static void main(String[] args) {
    String address = System.getenv().getOrDefault("CORDYNA_ADDR", "localhost:7070");
    ManagedChannel channel =
        Grpc.newChannelBuilder(address, InsecureChannelCredentials.create()).build();
    CountWords server = new CountWords(address);
    server.up = TaskServerServiceGrpc.newStub(channel).connect(server);
    server.send(
        ConnectRequest.newBuilder()
            .setHello(
                Hello.newBuilder()
                    .setServerName(SERVER_NAME)
                    .setInstanceId(SERVER_NAME + "-" + UUID.randomUUID().toString().substring(0, 8))
                    .setProtocolVersion(ProtocolVersion.newBuilder().setMajor(1).setMinor(0))
                    .addTasks(
                        TaskDeclaration.newBuilder()
                            .setId(TASK_ID)
                            .setDescription("Counts the words of the run's text param")
                            .setOwner(Owner.newBuilder().setTeam("team-outside"))
                            .addDependencies(
                                Dependency.newBuilder()
                                    .setTaskId(RATES)
                                    .setCondition(
                                        DependencyCondition.DEPENDENCY_CONDITION_FRESH_WITHIN)
                                    .setFreshWithin(Duration.newBuilder().setSeconds(3600)))))
            .build());
    System.err.println(server.ended.join());
    channel.shutdownNow();
    System.exit(1);
  }

  private final String address;
  private final ScheduledExecutorService heartbeats =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "heartbeats");
            thread.setDaemon(true);
            return thread;
          });
  /** Completes with the reason the stream ended. */
  private final CompletableFuture<String> ended = new CompletableFuture<>();
  private StreamObserver<ConnectRequest> up;
  private long seq;

  private CountWords(String address) {
    this.address = address;
  }

  /** gRPC's request observer is not thread-safe: heartbeats and replies take turns. */
  private synchronized void send(ConnectRequest request) {
    up.onNext(request);
  }

  private synchronized void report(String attemptId, TaskState state, Map<String, String> outputs) {
    TaskStateUpdate update =
        TaskStateUpdate.newBuilder()
            .setSeq(++seq)
            .setAttemptId(attemptId)
            .setState(state)
            .putAllOutputs(outputs)
            .build();
    send(ConnectRequest.newBuilder().setTaskState(update).build());
  }

  @Override
  public void onNext(ConnectResponse response) {
    switch (response.getMessageCase()) {
      case WELCOME -> {
        var interval = response.getWelcome().getHeartbeatInterval();
        long everyMs = interval.getSeconds() * 1000 + interval.getNanos() / 1_000_000;
        everyMs = everyMs > 0 ? everyMs : 5000;
        ConnectRequest heartbeat =
            ConnectRequest.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build();
        heartbeats.scheduleAtFixedRate(
            () -> send(heartbeat), everyMs, everyMs, TimeUnit.MILLISECONDS);
        System.err.println("welcomed by cerebro at " + address);
      }
      case REJECTION ->
          ended.complete(
              "rejected: "
                  + response.getRejection().getErrorsList().stream()
                      .map(issue -> issue.getMessage())
                      .collect(Collectors.joining("; ")));
      case INVOKE -> {
        Invoke invoke = response.getInvoke();
        report(invoke.getAttemptId(), TaskState.TASK_STATE_STARTED, Map.of());
        Map<String, String> outputs = countWords(invoke);
        System.err.println(invoke.getTaskId() + " " + invoke.getAttemptId() + ": " + outputs);
        report(invoke.getAttemptId(), TaskState.TASK_STATE_COMPLETED, outputs);
      }
      case PING ->
          send(
              ConnectRequest.newBuilder()
                  .setPong(Pong.newBuilder().setNonce(response.getPing().getNonce()))
                  .build());
      // Acks, refusals and cancels need nothing from a task this quick.
      default -> {}
    }
  }

  @Override
  public void onError(Throwable error) {
    ended.complete("the stream failed: " + error);
  }

  @Override
  public void onCompleted() {
    ended.complete("cerebro ended the stream");
  }
}
