import { readFileSync } from "node:fs";

/** TLS towards cerebro: whom to trust, and this client's own certificate (mTLS). */
export interface ClientTls {
  /** PEM of the CA that signed cerebro's certificate; omitted: the system's CAs. */
  readonly ca?: Buffer;
  /** PEM certificate and key, for a cerebro that asks for client certificates. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** The variables every Cordyna client reads to reach cerebro over TLS. */
export const CLIENT_TLS_ENV = {
  CORDYNA_TLS: '"on" for TLS with the system\'s CAs (implied by CORDYNA_TLS_CA)',
  CORDYNA_TLS_CA: "PEM file of the CA that signed cerebro's certificate; turns TLS on",
  CORDYNA_TLS_CLIENT_CERT: "PEM file of this client's certificate, when cerebro asks for one",
  CORDYNA_TLS_CLIENT_KEY: "PEM file of that certificate's private key",
} as const;

/**
 * TLS settings from the environment, or undefined for plaintext. Throws an
 * error naming the variable and the file when a file cannot be read.
 */
export function clientTlsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): ClientTls | undefined {
  const value = (name: keyof typeof CLIENT_TLS_ENV) => env[name]?.trim() || undefined;
  const read = (name: keyof typeof CLIENT_TLS_ENV): Buffer | undefined => {
    const path = value(name);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`${name}: cannot read ${path}: ${(error as Error).message}`);
    }
  };
  const on = value("CORDYNA_TLS");
  if (on !== undefined && !["on", "off", "true", "false", "1", "0"].includes(on)) {
    throw new Error(`CORDYNA_TLS: "${on}" is neither on nor off`);
  }
  const ca = read("CORDYNA_TLS_CA");
  const cert = read("CORDYNA_TLS_CLIENT_CERT");
  const key = read("CORDYNA_TLS_CLIENT_KEY");
  if ((cert === undefined) !== (key === undefined)) {
    throw new Error("CORDYNA_TLS_CLIENT_CERT and CORDYNA_TLS_CLIENT_KEY go together: set both");
  }
  const wanted = ca !== undefined || cert !== undefined || ["on", "true", "1"].includes(on ?? "");
  if (!wanted) return undefined;
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}
