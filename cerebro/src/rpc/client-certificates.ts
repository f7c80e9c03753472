import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { TaskServerService } from "@cordyna/contract";
import type { Logger } from "pino";
import { peerOf } from "./call-context.js";

/**
 * With a client CA (mTLS), a task-server must present a certificate that CA
 * signed, valid now: checked before its stream is handled, and refused by
 * name (missing, expired, unknown CA) rather than as a failed handshake.
 * Other callers (the CLI, probes) may present one. Each refusal is logged.
 */
export function requireTaskServerCertificate(logger: Logger): Interceptor {
  return (next) => async (request) => {
    if (request.service.typeName !== TaskServerService.typeName) return next(request);
    const { certificate, address } = peerOf({ values: request.contextValues });
    let refusal: string | undefined;
    if (!certificate) {
      refusal = `task-server at ${address} presented no client certificate: cerebro requires one signed by its client CA (--tls-client-ca)`;
    } else if (!certificate.verified) {
      refusal = `client certificate of ${certificate.commonName || address} refused: ${certificate.verifyError ?? "not signed by cerebro's client CA"}`;
    }
    if (refusal) {
      logger.warn({ peer: address, commonName: certificate?.commonName }, refusal);
      throw new ConnectError(refusal, Code.Unauthenticated);
    }
    return next(request);
  };
}
