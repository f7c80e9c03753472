package dev.cordyna.example;

import com.google.protobuf.Duration;
import dev.cordyna.v1.Deadlines;
import dev.cordyna.v1.Dependency;
import dev.cordyna.v1.DependencyCondition;
import dev.cordyna.v1.Owner;
import dev.cordyna.v1.TaskDeclaration;
import java.util.Map;

/**
 * The example task-server: two tasks of team-java, in the cross-language
 * example graph rust.import → python.clean → rust.verify → java.mail →
 * {java.archive, python.sheet}.
 */
public final class Main {
  private static final int MAX_CONCURRENCY = 4;
  /** java.archive's steps, each followed by an AttemptProgress. */
  private static final int ARCHIVE_STEPS = 10;
  /** java.archive's heartbeat deadline: silent for longer, cerebro ends it. */
  private static final Duration ARCHIVE_HEARTBEAT = Duration.newBuilder().setSeconds(2).build();
  private static final Owner OWNER =
      Owner.newBuilder().setTeam("team-java").setContact("java@example.com").build();

  private Main() {}

  public static void main(String[] args) {
    String address = env("CORDYNA_ADDR", "localhost:7070");
    String serverName = env("CORDYNA_SERVER_NAME", "java-example");
    long workMs = Long.parseLong(env("CORDYNA_EXAMPLE_WORK_MS", "100"));
    String token = env("CORDYNA_TOKEN", null);

    Tracing tracing = Tracing.fromEnv(serverName);
    TaskServer server;
    try {
      server = new TaskServer(address, CerebroTls.fromEnv(), token == null ? null : token.trim(),
          serverName, MAX_CONCURRENCY, tracing);
    } catch (RuntimeException badSetting) {
      // A TLS variable that is wrong, or a file that holds no usable certificate or key.
      Log.info("%s", badSetting.getMessage());
      System.exit(1);
      return;
    }
    server
        .task(declare("java.mail", "Mails the verified figures", "rust.verify"),
            failable("java.mail", (invoke, log, progress) -> {
              log.accept("mailing the figures of run " + invoke.getRunId());
              // A span of the task's own nests under the handler's span.
              return tracing.inSpan("mail figures", () -> Map.of("recipients", "3"));
            }))
        .task(declare("java.archive", "Archives the mailed report", "java.mail").toBuilder()
                .setDeadlines(Deadlines.newBuilder().setHeartbeat(ARCHIVE_HEARTBEAT))
                .build(),
            failable("java.archive", (invoke, log, progress) -> {
              log.accept("archiving the report of run " + invoke.getRunId());
              // Stands for real work, in steps that each say how far it got (and that it is
              // alive, within the heartbeat deadline); a Cancel interrupts the sleep.
              for (int step = 1; step <= ARCHIVE_STEPS; step++) {
                Thread.sleep(workMs / ARCHIVE_STEPS);
                progress.report((double) step / ARCHIVE_STEPS,
                    step + " of " + ARCHIVE_STEPS + " files archived");
              }
              return Map.of("archive", "reports/" + invoke.getRunId() + ".tar.gz");
            }));

    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // A JVM ended by SIGTERM exits with 143 once its hooks return; a
      // finished drain is a clean stop, so say so.
      boolean drained = server.drain();
      tracing.close();
      if (drained) Runtime.getRuntime().halt(0);
    }, "cordyna-drain"));

    System.exit(server.run());
  }

  private static TaskDeclaration declare(String id, String description, String upstream) {
    return TaskDeclaration.newBuilder()
        .setId(id)
        .setDescription(description)
        .setOwner(OWNER)
        .addDependencies(Dependency.newBuilder()
            .setTaskId(upstream)
            .setCondition(DependencyCondition.DEPENDENCY_CONDITION_RUN_FIRST))
        .build();
  }

  /** Fails with "failed on purpose" when the params say fail=&lt;this task&gt;, to try errors. */
  private static TaskServer.Task failable(String taskId, TaskServer.Task task) {
    return (invoke, log, progress) -> {
      if (taskId.equals(invoke.getParamsOrDefault("fail", ""))) {
        throw new IllegalStateException("failed on purpose");
      }
      return task.run(invoke, log, progress);
    };
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
