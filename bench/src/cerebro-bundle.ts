// Cerebro as the containers run it: the production bundle (npm run bundle)
// started with plain node, plus the bench's probe bundled beside it. tsx
// would add a second to every start, which W5 measures.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const PROBE_SOURCE = fileURLToPath(new URL("./probe.ts", import.meta.url));
const BUNDLE_SCRIPT = new URL("../../scripts/bundle.mjs", import.meta.url).href;

/** The entry point of cerebro's bundle and of the probe, both plain ESM. */
export interface CerebroBundle {
  readonly entry: string;
  readonly probe: string;
}

let built: Promise<CerebroBundle> | undefined;

/** Bundles cerebro and the probe into a temporary folder, once per bench run. */
export function cerebroBundle(): Promise<CerebroBundle> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "cordyna-bench-"));
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    const { bundle } = (await import(BUNDLE_SCRIPT)) as {
      bundle: (outdir: string) => Promise<Record<string, string>>;
    };
    const paths = await bundle(join(dir, "dist"));
    const probe = join(dir, "probe.mjs");
    await build({
      entryPoints: [PROBE_SOURCE],
      bundle: true,
      platform: "node",
      format: "esm",
      outfile: probe,
      logLevel: "warning",
    });
    const entry = paths.cerebro;
    if (!entry) throw new Error("npm run bundle made no cerebro bundle");
    return { entry, probe };
  })();
  return built;
}
