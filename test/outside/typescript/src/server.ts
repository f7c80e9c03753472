// A team's task-server outside the Cordyna repository, on the installed
// @cordyna/task-server alone: a task that needs another team's task first
// (team A's exchange rates, fetched within the hour), with typed params and
// outputs, and a slow task that says how far it got and stops when cancelled.
import { TaskServer } from "@cordyna/task-server";

const server = new TaskServer({
  name: process.env.OUTSIDE_SERVER_NAME ?? "outside-typescript",
  team: "team-outside",
  contact: "outside@example.com",
});

server.task<{ text?: string }, { words: string; counted_by: string }>(
  {
    id: "outside.typescript.count-words",
    description: "Counts the words of a text.",
    dependsOn: [{ task: "a.fetch-rates", freshWithin: "1h" }],
  },
  ({ params, upstream, logger }) => {
    logger.info({ rates: upstream["a.fetch-rates"]?.outputs }, "team A's rates are in");
    const words = (params.text ?? "").split(/\s+/).filter((word) => word !== "").length;
    return { words: String(words), counted_by: "typescript" };
  },
);

server.task(
  { id: "outside.typescript.slow", deadlines: { heartbeat: "1s" } },
  ({ signal, progress }) =>
    new Promise<{ slept: string }>((resolve, reject) => {
      const startedAt = Date.now();
      const ticker = setInterval(() => progress((Date.now() - startedAt) / 2_500), 200);
      const timer = setTimeout(() => {
        clearInterval(ticker);
        resolve({ slept: "2500ms" });
      }, 2_500);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        clearInterval(ticker);
        reject(signal.reason);
      });
    }),
);

await server.run();
