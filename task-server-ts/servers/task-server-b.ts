// The seed's task-server-b: team B's workloads, which depend on team A's.
import { TaskServer } from "@cordyna/task-server";
import { simulatedWork, workMs } from "./simulated-work.js";

const server = new TaskServer({
  name: "task-server-b",
  team: "team-b",
  contact: "team-b@example.com",
});

server.task(
  {
    id: "b.transform-sales",
    description: "Join orders with exchange rates into sales in EUR",
    // Rates fetched within the last hour are good enough: no need to fetch again.
    dependsOn: ["a.import-orders", { task: "a.fetch-rates", freshWithin: "1h" }],
  },
  async ({ signal }) => {
    await simulatedWork(workMs(350), signal);
    return { rows: "1204" };
  },
);

server.task(
  {
    id: "b.sales-report",
    description: "Render the daily sales report",
    dependsOn: ["b.transform-sales"],
  },
  async ({ signal }) => {
    await simulatedWork(workMs(200), signal);
  },
);

server.task(
  {
    id: "b.mail-digest",
    description: "Mail the customer digest (fails on purpose: the demo's broken task)",
    dependsOn: ["a.import-customers"],
  },
  async ({ signal }) => {
    await simulatedWork(workMs(150), signal);
    throw new Error("SMTP relay mail.example.com refused the connection (demo failure)");
  },
);

server.task(
  {
    id: "b.archive-digest",
    description: "Archive the mailed digest",
    dependsOn: ["b.mail-digest"],
  },
  async ({ signal }) => {
    await simulatedWork(workMs(100), signal);
  },
);

// Serves until SIGTERM or SIGINT has drained it; then the process ends.
await server.run();
