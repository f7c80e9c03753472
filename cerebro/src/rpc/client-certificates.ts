import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { TaskServerService } from "@cordyna/contract";
import { peerOf } from "./call-context.js";

/**
 * With a client CA (mTLS), a task-server must present a certificate that CA
 * signed, valid now: checked before its stream is handled, and refused by
 * name (missing, expired, unknown CA) rather than as a failed handshake.
 * Other callers (the CLI, probes) may present one.
 */
export const requireTaskServerCertificate: Interceptor = (next) => async (request) => {
  if (request.service.typeName !== TaskServerService.typeName) return next(request);
  const { certificate, address } = peerOf({ values: request.contextValues });
  if (!certificate) {
    throw new ConnectError(
      `task-server at ${address} presented no client certificate: cerebro requires one signed by its client CA (--tls-client-ca)`,
      Code.Unauthenticated,
    );
  }
  if (!certificate.verified) {
    throw new ConnectError(
      `client certificate of ${certificate.commonName || address} refused: ${certificate.verifyError ?? "not signed by cerebro's client CA"}`,
      Code.Unauthenticated,
    );
  }
  return next(request);
};
