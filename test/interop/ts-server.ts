// The TypeScript member of the cross-language graph: it publishes once the
// Java archive and the Python sheet are done, so its upstream spans two
// languages. Like the other examples, it fails on purpose when the run's
// param `fail` names its task.
import { TaskServer } from "@cordyna/task-server";

const server = new TaskServer({
  name: process.env.CORDYNA_SERVER_NAME ?? "ts-example",
  team: "team-ts",
  contact: "ts@example.com",
});

server.task({ id: "ts.publish", dependsOn: ["java.archive", "python.sheet"] }, (ctx) => {
  const { params, logger } = ctx;
  logger.info(`publishing the report of run ${ctx.runId}`);
  if (params.fail === "ts.publish") throw new Error("failed on purpose");
  return { published: "true" };
});

await server.start();
