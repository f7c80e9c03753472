import { pino } from "pino";
import { afterEach } from "vitest";
import { type Cerebro, type CerebroOptions, startCerebro } from "../cerebro.js";

/**
 * Cerebros on free loopback ports for the tests of one file, each stopped
 * after its test, with whatever else the test asked to stop, newest first.
 */
export function loopbackCerebros(): {
  start(options?: Partial<CerebroOptions>): Promise<Cerebro>;
  onCleanup(stop: () => Promise<unknown> | unknown): void;
} {
  const running: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const stop of running.splice(0).reverse()) await stop();
  });
  return {
    async start(options = {}) {
      const cerebro = await startCerebro({
        port: 0,
        host: "127.0.0.1",
        logger: pino({ level: "silent" }),
        ...options,
      });
      running.push(() => cerebro.stop());
      return cerebro;
    },
    onCleanup(stop) {
      running.push(stop);
    },
  };
}
