// TLS between the kit and the implementation under test: the stand-in
// cerebro's credentials, and the variables that tell the implementation how
// to reach it, the same ones it reads to reach a real cerebro.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CLIENT_TLS_ENV } from "@cordyna/contract";
import * as grpc from "@grpc/grpc-js";

/** A PEM certificate and its private key, as files. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** What the kit serves, and what the implementation is told to use. */
export interface ConformanceTls {
  /** The kit's certificate; it must name 127.0.0.1, the address the implementation dials. */
  readonly server: CertificateFiles;
  /**
   * The CA that signed it, given to the implementation as CORDYNA_TLS_CA.
   * Without it, the implementation gets CORDYNA_TLS=on and trusts the system's CAs.
   */
  readonly caFile?: string;
  /**
   * Given to the implementation as CORDYNA_TLS_CLIENT_CERT and _KEY. The kit
   * then requires a client certificate signed by `caFile`, as cerebro does
   * with a client CA.
   */
  readonly client?: CertificateFiles;
}

/** How the kit and the implementation talk, as reports name it. */
export type KitTransport = "plaintext" | "TLS" | "mutual TLS";

export function transportOf(tls: ConformanceTls | undefined): KitTransport {
  if (tls === undefined) return "plaintext";
  return tls.client ? "mutual TLS" : "TLS";
}

function readPem(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`conformance TLS: cannot read ${file}: ${(error as Error).message}`);
  }
}

/** The stand-in cerebro's credentials; throws naming a file that cannot be read. */
export function kitCredentials(tls: ConformanceTls | undefined): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const pair = {
    cert_chain: readPem(tls.server.certFile),
    private_key: readPem(tls.server.keyFile),
  };
  if (tls.client === undefined) return grpc.ServerCredentials.createSsl(null, [pair]);
  if (tls.caFile === undefined) {
    throw new Error(
      "conformance TLS: a client certificate needs caFile, the CA the kit checks it against",
    );
  }
  // Only the CA given, not the system's: the implementation must present the
  // certificate the kit gave it, as it would to a cerebro with a client CA.
  return grpc.ServerCredentials.createSsl(readPem(tls.caFile), [pair], true);
}

/**
 * `env` with the client TLS variables set to match what the kit serves.
 * Inherited ones are dropped: they would have the implementation dial a
 * plaintext kit over TLS, or trust another CA. Paths are made absolute,
 * since the implementation may run in another directory.
 */
export function withKitTls(
  env: Readonly<Record<string, string | undefined>>,
  tls: ConformanceTls | undefined,
): Record<string, string | undefined> {
  const kept = Object.fromEntries(
    Object.entries(env).filter(([name]) => !(name in CLIENT_TLS_ENV)),
  );
  if (tls === undefined) return kept;
  return {
    ...kept,
    CORDYNA_TLS: "on",
    ...(tls.caFile === undefined ? {} : { CORDYNA_TLS_CA: resolve(tls.caFile) }),
    ...(tls.client === undefined
      ? {}
      : {
          CORDYNA_TLS_CLIENT_CERT: resolve(tls.client.certFile),
          CORDYNA_TLS_CLIENT_KEY: resolve(tls.client.keyFile),
        }),
  };
}

/** How the implementation must dial the kit, beyond $CORDYNA_ADDR: for the reason of a missing Hello. */
export function dialingHint(tls: ConformanceTls | undefined): string {
  if (tls === undefined) return "";
  const trusting = tls.caFile === undefined ? "the system's CAs" : "$CORDYNA_TLS_CA";
  const presenting = tls.client === undefined ? "" : " and presenting $CORDYNA_TLS_CLIENT_CERT";
  return ` over TLS, trusting ${trusting}${presenting}`;
}
