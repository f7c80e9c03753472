import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Files of a throwaway public key infrastructure, made for one test run. */
export interface TestPki {
  /** Where the PEM files are. */
  readonly dir: string;
  /** Path of a PEM file: "ca.pem", "server.pem", "client.key", … */
  path(name: PkiFile): string;
  read(name: PkiFile): Buffer;
  remove(): void;
}

/**
 * ca: the CA that signs everything below; other-ca: one that signs nothing
 * of ours; server: cerebro's, for localhost and 127.0.0.1; client: a
 * task-server's (CN task-server-a); expired: a client certificate whose
 * validity has passed.
 */
export type PkiFile =
  | "ca.pem"
  | "other-ca.pem"
  | "server.pem"
  | "server.key"
  | "client.pem"
  | "client.key"
  | "expired.pem"
  | "expired.key";

function openssl(args: readonly string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A self-signed CA, valid for a day. */
function makeCa(dir: string, name: string, subject: string): void {
  openssl(
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"].concat([
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
      "-days",
      "1",
      "-subj",
      subject,
    ]),
    dir,
  );
}

/**
 * A certificate signed by ca.pem; negative `days` makes one that has already
 * expired. Always X.509 v3 (it has extensions): rustls, which the Rust
 * example's tonic uses, refuses v1 certificates, even as its own.
 */
function makeSigned(dir: string, name: string, subject: string, days: number, san?: string): void {
  openssl(
    ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"].concat([
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      subject,
    ]),
    dir,
  );
  const extensions = ["basicConstraints=CA:FALSE", ...(san ? [`subjectAltName=${san}`] : [])];
  writeFileSync(join(dir, `${name}.ext`), `${extensions.join("\n")}\n`);
  openssl(
    ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key"].concat([
      "-CAcreateserial",
      "-days",
      String(days),
      "-out",
      `${name}.pem`,
      "-extfile",
      `${name}.ext`,
    ]),
    dir,
  );
}

/** Makes the CA and certificates with the openssl command, in a new temporary folder. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "cordyna-pki-"));
  makeCa(dir, "ca", "/CN=Cordyna test CA");
  makeCa(dir, "other-ca", "/CN=Somebody else's CA");
  makeSigned(dir, "server", "/CN=cerebro", 1, "DNS:localhost,IP:127.0.0.1");
  makeSigned(dir, "client", "/CN=task-server-a", 1);
  makeSigned(dir, "expired", "/CN=task-server-old", -1);
  return {
    dir,
    path: (name) => join(dir, name),
    read: (name) => readFileSync(join(dir, name)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
