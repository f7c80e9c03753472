// dyna version against a real cerebro, and with none there.

import { describe, expect, it } from "vitest";
import { loopbackCerebros } from "../../cerebro/src/testing/loopback-cerebros.js";
import { freePort } from "../../cerebro/src/testing/ports.js";
import cerebroPackage from "../package.json" with { type: "json" };
import { runCli } from "./main.js";
import { recordingIo } from "./test-support.js";

const cerebros = loopbackCerebros();
const version = cerebroPackage.version;

async function dyna(args: string[], address: string) {
  const io = recordingIo({ CORDYNA_ADDR: address });
  const code = await runCli(args, { io });
  return { code, out: io.stdout, err: io.stderr };
}

describe("dyna version", () => {
  it("names dyna's version and cerebro's, with the protocol each speaks", async () => {
    const cerebro = await cerebros.start();
    for (const args of [["version"], ["--version"]]) {
      expect(await dyna(args, cerebro.address)).toEqual({
        code: 0,
        out: [
          `dyna ${version} (protocol 1.5)`,
          `cerebro ${version} (protocol 1.5) at ${cerebro.address}`,
        ],
        err: [],
      });
    }
    const json = await dyna(["version", "--json"], cerebro.address);
    expect(JSON.parse(json.out.join(""))).toEqual({
      dyna: { version, protocol: "1.5" },
      cerebro: { address: cerebro.address, cerebro: true, version, protocol: "1.5" },
    });
  });

  it("still answers, with exit code 0, when no cerebro does", async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const { code, out } = await dyna(["--version"], address);
    expect(code).toBe(0);
    expect(out[0]).toBe(`dyna ${version} (protocol 1.5)`);
    expect(out[1]).toMatch(new RegExp(`^cerebro at ${address}: no answer \\(UNAVAILABLE: `));
  });
});
