// dyna's profiles, read from a config file in a temporary HOME or
// XDG_CONFIG_HOME, against a real cerebro that checks credentials.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Cerebro, startCerebro } from "@cordyna/cerebro";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestPki } from "../../cerebro/src/testing/certificates.js";
import { EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE } from "./context.js";
import { runCli } from "./main.js";
import { recordingIo } from "./test-support.js";

const ADMIN_TOKEN = "bootstrap-admin-token-for-the-profile-test";
let cerebro: Cerebro;
let dir: string;
let configDir: string;
let file: string;

beforeAll(async () => {
  cerebro = await startCerebro({
    port: 0,
    host: "127.0.0.1",
    logger: pino({ level: "silent" }),
    auth: { required: true, adminToken: ADMIN_TOKEN },
  });
});

afterAll(async () => {
  await cerebro.stop();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cordyna-profiles-"));
  configDir = join(dir, "xdg", "cordyna");
  mkdirSync(configDir, { recursive: true });
  file = join(configDir, "config.toml");
  writeFileSync(join(configDir, "admin.token"), `${ADMIN_TOKEN}\n`);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function config(text: string): void {
  writeFileSync(file, text);
}

async function dyna(args: string[], env: Record<string, string> = {}) {
  const io = recordingIo({ XDG_CONFIG_HOME: join(dir, "xdg"), ...env });
  const code = await runCli(args, { io });
  return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
}

describe("a profile", () => {
  it("gives the address and the token, chosen by --profile, CORDYNA_PROFILE or default_profile", async () => {
    config(`default_profile = "ci"

[profiles.ci]
address = "${cerebro.address}"
token_file = "admin.token"   # relative to this file's folder

[profiles.nowhere]
address = "127.0.0.1:1"
`);
    for (const [args, env] of [
      [["auth", "whoami", "--profile", "ci"], { CORDYNA_PROFILE: "nowhere" }],
      [["--profile=ci", "auth", "whoami"], {}],
      [["auth", "whoami"], { CORDYNA_PROFILE: "ci" }],
      [["auth", "whoami"], {}],
    ] as const) {
      const result = await dyna([...args], env);
      expect(result, args.join(" ")).toMatchObject({ code: EXIT_OK });
      expect(result.out).toMatch(/: admin of every team$/);
    }
    const named = await dyna(["runs"], { CORDYNA_PROFILE: "nowhere" });
    expect(named.code).toBe(EXIT_UNREACHABLE);
    expect(named.err).toContain("cannot reach cerebro at 127.0.0.1:1");
  });

  it("is found under HOME without XDG_CONFIG_HOME, and a token may stand in the file", async () => {
    const home = join(dir, "home");
    mkdirSync(join(home, ".config", "cordyna"), { recursive: true });
    writeFileSync(
      join(home, ".config", "cordyna", "config.toml"),
      `[profiles.local]\naddress = "${cerebro.address}"\ntoken = "${ADMIN_TOKEN}"\n`,
    );
    const io = recordingIo({ HOME: home });
    expect(await runCli(["auth", "whoami", "--profile", "local"], { io })).toBe(EXIT_OK);
  });

  it("yields to the flag and the variables, setting by setting", async () => {
    config(`[profiles.p]
address = "127.0.0.1:1"
token_file = "admin.token"
`);
    // --cerebro and CORDYNA_ADDR win over the address; the token still comes from the profile.
    expect((await dyna(["runs", "--profile", "p", "--cerebro", cerebro.address])).code).toBe(
      EXIT_OK,
    );
    expect((await dyna(["runs", "--profile", "p"], { CORDYNA_ADDR: cerebro.address })).code).toBe(
      EXIT_OK,
    );
    // CORDYNA_TOKEN wins over the token.
    const refused = await dyna(["runs", "--profile", "p", "--cerebro", cerebro.address], {
      CORDYNA_TOKEN: "not-a-token",
    });
    expect(refused.code).toBe(EXIT_UNREACHABLE);
    expect(refused.err).toContain("does not know who you are");
  });

  it("turns TLS on with its CA, unless a CORDYNA_TLS variable says otherwise", async () => {
    const pki = createTestPki();
    writeFileSync(join(configDir, "ca.pem"), pki.read("ca.pem"));
    pki.remove();
    config(`[profiles.tls]
address = "${cerebro.address}"
tls_ca = "ca.pem"
token_file = "admin.token"
`);
    // A TLS client at this plaintext cerebro is refused: the profile's TLS is on.
    const tls = await dyna(["runs", "--profile", "tls"]);
    expect(tls.code).toBe(EXIT_UNREACHABLE);
    const plain = await dyna(["runs", "--profile", "tls"], { CORDYNA_TLS: "off" });
    expect(plain.code).toBe(EXIT_OK);
  });

  it("is shown by dyna version", async () => {
    config(`[profiles.ci]\naddress = "${cerebro.address}"\n`);
    const { out } = await dyna(["version", "--profile", "ci"]);
    expect(out.split("\n").at(-1)).toBe(`profile ci, from ${file}`);
  });
});

describe("a mistake in the config file", () => {
  const cases: [string, string, string[], string][] = [
    [
      "a TOML syntax error",
      `[profiles.p]\naddress = "127.0.0.1:7070\n`,
      ["runs", "--profile", "p"],
      ":2:",
    ],
    [
      "an unknown setting",
      `[profiles.p]\naddress = "h:1"\ntoken_fiel = "t"\n`,
      ["runs", "--profile", "p"],
      ":3: profiles.p.token_fiel: unknown setting; did you mean token_file?",
    ],
    [
      "a value of the wrong kind",
      `[profiles.p]\naddress = "h:1"\n\ntls = "yes"\n`,
      ["runs", "--profile", "p"],
      ":4: profiles.p.tls: expected true or false",
    ],
    [
      "a file that cannot be read",
      `[profiles.p]\ntls_ca = "missing.pem"\n`,
      ["runs", "--profile", "p"],
      `:2: profiles.p.tls_ca: cannot read `,
    ],
    [
      "a profile it does not hold",
      `[profiles.prod]\naddress = "h:1"\n`,
      ["runs", "--profile", "prd"],
      ": no profile prd; did you mean prod? (it defines prod)",
    ],
    [
      "a default_profile it does not hold",
      `default_profile = "stagin"\n[profiles.staging]\naddress = "h:1"\n`,
      ["runs"],
      ":1: no profile stagin; did you mean staging? (it defines staging)",
    ],
    [
      "a dotted key out of place",
      `profiles.p.adress = "h:1"\n`,
      ["runs", "--profile", "p"],
      ":1: profiles.p.adress: unknown setting; did you mean address?",
    ],
  ];

  it.each(cases)(
    "%s: exits 2 naming the file, the line and what is wrong",
    async (_, text, args, said) => {
      config(text);
      const { code, err } = await dyna(args);
      expect(code).toBe(EXIT_USAGE);
      expect(err.startsWith(`dyna: ${file}${said}`), err).toBe(true);
    },
  );

  it("only matters to commands that use a profile", async () => {
    config("this is not TOML");
    expect((await dyna(["help"])).code).toBe(EXIT_OK);
    expect((await dyna(["completion", "bash"])).code).toBe(EXIT_OK);
    expect((await dyna(["runs"])).code).toBe(EXIT_USAGE);
  });

  it("a profile named without a config file", async () => {
    const { code, err } = await dyna(["runs", "--profile", "p"]);
    expect(code).toBe(EXIT_USAGE);
    expect(err).toBe(`dyna: no profile p: ${file} does not exist`);
  });
});
