// Preloaded into the cerebro process (node --import) by the bench: answers
// the runner's "memory" message over the IPC channel with the process's
// memory after a full garbage collection (when --expose-gc is given), and its
// "cpu" message with the CPU time the process has used. It does nothing else
// and never keeps the process alive.
import { type CpuSample, cpuMicros, type MemorySample } from "./protocol.js";

if (process.send) {
  process.on("message", (message: unknown) => {
    if (message === "cpu") {
      const sample: CpuSample = { cpuMicros: cpuMicros() };
      process.send?.(sample);
      return;
    }
    if (message !== "memory") return;
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const usage = process.memoryUsage();
    const sample: MemorySample = {
      heapUsedBytes: usage.heapUsed,
      rssBytes: usage.rss,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      afterGc: gc !== undefined,
    };
    process.send?.(sample);
  });
  process.channel?.unref();
}
