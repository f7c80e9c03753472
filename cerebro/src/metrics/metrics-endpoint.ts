import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Logger } from "pino";
import type { AccessControl } from "../access/access-control.js";
import { decideRole } from "../access/policy.js";
import type { Principal } from "../access/principal.js";
import { CordynaError } from "../domain/errors.js";
import { callValues, peerOf } from "../rpc/call-context.js";
import type { CerebroMetrics } from "./cerebro-metrics.js";

/** The path Prometheus scrapes on cerebro's HTTP port. */
export const METRICS_PATH = "/metrics";

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/**
 * Answers `GET /metrics` with the Prometheus text. Unless `open`, the scraper
 * needs a credential that may read (a viewer's, an operator's or an
 * admin's, as a bearer token or a client certificate); a refusal is audited
 * like any other.
 */
export function metricsEndpoint(options: {
  readonly metrics: CerebroMetrics;
  readonly access: AccessControl;
  readonly open: boolean;
  readonly logger: Logger;
}): (request: Request, response: Response) => void {
  const { metrics, access, logger } = options;
  return (request, response) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      reply(response, 405, `${METRICS_PATH} answers GET only`, { allow: "GET, HEAD" });
      return;
    }
    void (async () => {
      if (!options.open) {
        const refusal = await refuse(access, request);
        if (refusal) {
          reply(response, refusal.status, refusal.message, refusal.headers);
          return;
        }
      }
      const text = await metrics.render();
      reply(response, 200, request.method === "HEAD" ? "" : text, {
        "content-type": metrics.contentType,
      });
    })().catch((error: unknown) => {
      logger.error({ err: error }, "metrics: the scrape failed");
      reply(response, 500, "the metrics could not be rendered");
    });
  };
}

interface Refusal {
  readonly status: number;
  readonly message: string;
  readonly headers?: Record<string, string>;
}

/** Why the scraper may not read the metrics, if it may not. */
async function refuse(access: AccessControl, request: Request): Promise<Refusal | undefined> {
  const { address, certificate } = peerOf({ values: callValues(request) });
  const call = { action: `GET ${METRICS_PATH}`, target: "", peer: address };
  let principal: Principal;
  try {
    principal = access.authenticate(request.headers.authorization ?? null, certificate);
  } catch (error) {
    const { code, rawMessage } = CordynaError.from(error);
    await access.audit(undefined, call, { code, message: rawMessage });
    return { status: 401, message: rawMessage, headers: { "www-authenticate": "Bearer" } };
  }
  const decision = decideRole(principal, "read");
  if (decision.allowed) return undefined;
  const message = `${principal.name} may not read ${METRICS_PATH}: it lacks ${decision.lacks}`;
  await access.audit(principal, call, { code: "PERMISSION_DENIED", message });
  return { status: 403, message };
}

function reply(
  response: Response,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) return;
  const type = headers["content-type"] ?? "text/plain; charset=utf-8";
  response.writeHead(status, { ...headers, "content-type": type }).end(body);
}
