// W6's declaring task-server: declares the wide graph's 50,000 tasks (the
// SDK sends them in parts of 250) and reports when it sent it and when cerebro welcomed it, one JSON
// line on stdout, then stays connected until it is stopped.
//
// Environment: CORDYNA_ADDR, LOG_LEVEL (default warn).
import { TaskServer } from "@cordyna/task-server";
import { pino } from "pino";
import { wallMs } from "./clock.js";
import { WIDE_SERVER_NAME, wideTasks } from "./graphs.js";
import { writeMessage } from "./protocol.js";

const server = new TaskServer({
  name: WIDE_SERVER_NAME,
  team: "bench",
  contact: "",
  logger: pino({ level: process.env.LOG_LEVEL ?? "warn" }, pino.destination(2)),
});
const declaredFrom = wallMs();
for (const task of wideTasks()) {
  server.task({ id: task.id, dependsOn: task.dependsOn }, async () => {});
}
const helloAt = wallMs();
await server.start();
const welcomedAt = wallMs();
writeMessage({
  kind: "ready",
  server: WIDE_SERVER_NAME,
  declaredMs: helloAt - declaredFrom,
  helloAt,
  welcomedAt,
});
