// The seed's task-server-a: independent workloads of team A (imports).
import { TaskServer } from "@cordyna/task-server";
import { simulatedWork, workMs } from "./simulated-work.js";

const server = new TaskServer({
  name: "task-server-a",
  team: "team-a",
  contact: "team-a@example.com",
});

server.task(
  { id: "a.import-orders", description: "Import yesterday's orders from the shop database" },
  async ({ params, signal, logger }) => {
    await simulatedWork(workMs(400), signal);
    logger.info({ day: params.day }, "orders imported");
    return { rows: "1204" };
  },
);

server.task(
  { id: "a.fetch-rates", description: "Fetch currency exchange rates" },
  async ({ signal }) => {
    await simulatedWork(workMs(250), signal);
    return { currencies: "31" };
  },
);

server.task(
  { id: "a.import-customers", description: "Import the customer list from the CRM" },
  async ({ signal }) => {
    await simulatedWork(workMs(300), signal);
    return { rows: "380" };
  },
);

// Serves until SIGTERM or SIGINT has drained it; then the process ends.
await server.run();
