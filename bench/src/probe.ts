// Preloaded into the cerebro process (node --import) by the bench: answers
// the runner's "memory" message over the IPC channel with the process's
// memory after a full garbage collection (when --expose-gc is given), its
// "cpu" message with the CPU time the process has used, and its "stalls"
// message with the longest the event loop was held since its "watch-stalls".
// It does nothing else and never keeps the process alive.
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import { type CpuSample, cpuMicros, type MemorySample, type StallSample } from "./protocol.js";

let loopDelay: IntervalHistogram | undefined;

if (process.send) {
  process.on("message", (message: unknown) => {
    if (message === "watch-stalls") {
      loopDelay?.disable();
      loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      process.send?.("watching");
      return;
    }
    if (message === "stalls") {
      loopDelay?.disable();
      const sample: StallSample = {
        longestStallMs: (loopDelay?.max ?? 0) / 1e6,
        p99StallMs: (loopDelay?.percentile(99) ?? 0) / 1e6,
      };
      loopDelay = undefined;
      process.send?.(sample);
      return;
    }
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
