import type { Http2Session } from "node:http2";

/** How often an HTTP/2 connection is pinged, and how long an answer may take. */
export interface KeepaliveOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/**
 * Pings `session` every `intervalMs` until it closes; when a ping goes
 * unanswered for `timeoutMs`, calls `unanswered` (which closes it). Both
 * ends of our gRPC streams use it to notice a peer that is gone.
 */
export function keepAlive(
  session: Http2Session,
  { intervalMs, timeoutMs }: KeepaliveOptions,
  unanswered: () => void,
): void {
  const pinger = setInterval(() => {
    if (session.destroyed || session.closed) return;
    const timer = setTimeout(unanswered, timeoutMs).unref();
    if (!session.ping(() => clearTimeout(timer))) clearTimeout(timer);
  }, intervalMs).unref();
  session.once("close", () => clearInterval(pinger));
}
