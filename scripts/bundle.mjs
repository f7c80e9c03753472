// npm run bundle: each service's entry point as one ESM file that runs with
// plain `node` (no tsx, no node_modules). One folder per container image,
// holding its bundles and the few files they read at run time:
//
//   dist/cerebro/cerebro.mjs, dist/cerebro/dyna.mjs (+ .proto and .lua files)
//   dist/cli/dyna.mjs (+ the same files: `dyna dev` runs cerebro in-process)
//   dist/task-server-a/task-server-a.mjs
//   dist/task-server-b/task-server-b.mjs
//
//   node scripts/bundle.mjs [--outdir DIR]   (default: dist/)

import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Image folder → bundle name (without .mjs) → entry point. */
export const BUNDLES = {
  cerebro: {
    cerebro: "cerebro/src/main.ts",
    // The CLI, for the health check and for `docker compose exec cerebro node dyna.mjs …`.
    dyna: "cli/src/bin.ts",
  },
  // The CLI's own image, whose entry point is dyna.
  cli: { dyna: "cli/src/bin.ts" },
  "task-server-a": { "task-server-a": "task-server-ts/servers/task-server-a.ts" },
  "task-server-b": { "task-server-b": "task-server-ts/servers/task-server-b.ts" },
};

/**
 * Packages that read files next to their own code at run time (through
 * __dirname), with the paths they read. Each path is copied beside the
 * bundles that include the package, and its __dirname points into the copy.
 */
const RUNTIME_FILES = {
  // The standard health service's .proto file, found through its protoPath.
  "grpc-health-check": ["proto"],
  // Read for the client version it reports to Redis.
  ioredis: ["package.json"],
};

/**
 * Folders of this repository read at run time by the module that names them
 * (`new URL("./folder/…", import.meta.url)`): copied beside the bundles
 * that include that module.
 */
const OWN_RUNTIME_FILES = {
  // The Redis store's Lua scripts.
  "cerebro/src/store/lua-scripts.ts": { from: "cerebro/src/store/lua", to: "lua" },
};

/**
 * Files of packages that a module of this repository finds by resolving the
 * package (`require.resolve("pkg/package.json")`): copied into a
 * node_modules folder beside the bundles that include that module.
 */
const RESOLVED_PACKAGE_FILES = {
  // Server reflection's own .proto files.
  "cerebro/src/rpc/standard-services.ts": {
    "@grpc/reflection": ["package.json", "build/proto/grpc"],
  },
};

// ESM has no require, __dirname or __filename; bundled CommonJS packages use
// them. Those not in RUNTIME_FILES see the bundle's own file and folder.
const BANNER = [
  'import { createRequire as __bundleCreateRequire } from "node:module";',
  'import { dirname as __bundlePathDirname } from "node:path";',
  'import { fileURLToPath as __bundleFileURLToPath } from "node:url";',
  "const require = __bundleCreateRequire(import.meta.url);",
  "const __filename = __bundleFileURLToPath(import.meta.url);",
  "const __dirname = __bundlePathDirname(__filename);",
  "const __bundleDir = __dirname;",
].join("\n");

/**
 * Points __dirname and __filename of RUNTIME_FILES packages at their copied
 * files, and records where each package was found.
 */
const runtimeFilesPlugin = (packageDirs) => ({
  name: "runtime-files",
  setup(builder) {
    const names = Object.keys(RUNTIME_FILES);
    const escaped = names.map((name) => name.replace(/[/.]/g, "\\$&"));
    const filter = new RegExp(`[\\\\/]node_modules[\\\\/](${escaped.join("|")})[\\\\/].*\\.c?js$`);
    builder.onLoad({ filter }, (args) => {
      const parts = args.path.split(sep);
      const at = parts.lastIndexOf("node_modules");
      // The folder inside its package, e.g. "grpc-health-check/build/src".
      const folder = parts.slice(at + 1, -1).join("/");
      const name = names.find((n) => folder === n || folder.startsWith(`${n}/`));
      // A file of another package nested under this one: loaded as usual.
      if (name === undefined) return undefined;
      packageDirs.set(name, [...parts.slice(0, at + 1), ...name.split("/")].join(sep));
      const prelude =
        `var __dirname = require("node:path").join(__bundleDir, ${JSON.stringify(folder)});\n` +
        `var __filename = require("node:path").join(__dirname, ${JSON.stringify(parts.at(-1))});\n`;
      const contents = prelude + readFileSync(args.path, "utf8");
      return { contents, loader: "js", resolveDir: dirname(args.path) };
    });
  },
});

/** Bundles one image folder's entry points into `dir`, with their runtime files. */
async function bundleFolder(dir, entries) {
  mkdirSync(dir, { recursive: true });
  const packageDirs = new Map();
  const { metafile } = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.entries(entries).map(([out, entry]) => ({ in: entry, out })),
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    // Our packages' TypeScript sources, not their builds.
    conditions: ["@cordyna/source"],
    banner: { js: BANNER },
    plugins: [runtimeFilesPlugin(packageDirs)],
    // Readable stack traces in production: functions and classes keep their names.
    keepNames: true,
    legalComments: "eof",
    metafile: true,
    logLevel: "warning",
  });
  for (const [name, packageDir] of packageDirs) {
    for (const path of RUNTIME_FILES[name]) {
      cpSync(join(packageDir, path), join(dir, name, path), { recursive: true });
    }
  }
  const inputs = new Set(Object.keys(metafile.inputs));
  for (const [module, { from, to }] of Object.entries(OWN_RUNTIME_FILES)) {
    if (!inputs.has(module)) continue;
    if (!existsSync(join(ROOT, from))) throw new Error(`${module} reads ${from}, which is missing`);
    cpSync(join(ROOT, from), join(dir, to), { recursive: true });
  }
  for (const [module, packages] of Object.entries(RESOLVED_PACKAGE_FILES)) {
    if (!inputs.has(module)) continue;
    for (const [name, paths] of Object.entries(packages)) {
      const packageDir = dirname(createRequire(join(ROOT, module)).resolve(`${name}/package.json`));
      for (const path of paths) {
        cpSync(join(packageDir, path), join(dir, "node_modules", name, path), { recursive: true });
      }
    }
  }
}

/**
 * Bundles every image folder into `outdir` (emptied first); resolves with
 * the path of each bundle (two folders may hold bundles of the same name).
 */
export async function bundle(outdir = join(ROOT, "dist")) {
  rmSync(outdir, { recursive: true, force: true });
  await Promise.all(
    Object.entries(BUNDLES).map(([folder, entries]) => bundleFolder(join(outdir, folder), entries)),
  );
  return Object.entries(BUNDLES).flatMap(([folder, entries]) =>
    Object.keys(entries).map((name) => join(outdir, folder, `${name}.mjs`)),
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: "string" } } });
  const paths = await bundle(resolve(values.outdir ?? join(ROOT, "dist")));
  for (const path of paths) process.stdout.write(`${relative(ROOT, path)}\n`);
}
