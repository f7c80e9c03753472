// One POST of JSON to a receiver, as the webhook and Slack channels send it.

import { PermanentDeliveryError } from "./notification.js";

/** The most bytes of a receiver's answer read, for the error message; the rest is dropped. */
export const MAX_RESPONSE_BYTES = 4_096;

/** How long one POST may take, connect to last byte, unless the channel is told otherwise. */
export const DEFAULT_SEND_TIMEOUT_MS = 10_000;

/**
 * POSTs `body` and resolves on a 2xx; rejects naming `where` and what the
 * receiver said otherwise (a PermanentDeliveryError when it refused the
 * request for good), after `timeoutMs`, or once `signal` aborts.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  where: string,
  options: { readonly timeoutMs: number; readonly signal: AbortSignal },
): Promise<void> {
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      signal,
      // A redirect would send the signed body somewhere the team did not name.
      redirect: "manual",
    });
  } catch (err) {
    const why =
      signal.aborted && !options.signal.aborted
        ? `no answer within ${options.timeoutMs} ms`
        : describe(err);
    throw new Error(`${where}: ${why}`);
  }
  const answer = await readBounded(response, MAX_RESPONSE_BYTES).catch(() => "");
  if (response.status < 200 || response.status > 299) {
    const said = `${where} answered ${response.status}${answer ? `: ${answer}` : ""}`;
    throw refusedForGood(response.status) ? new PermanentDeliveryError(said) : new Error(said);
  }
}

/**
 * Whether an answer says the same request will never be taken: a 4xx, but
 * for a timeout (408) and a rate limit (429), which a later send may pass.
 */
function refusedForGood(status: number): boolean {
  return status >= 400 && status <= 499 && status !== 408 && status !== 429;
}

/** At most `maxBytes` of the body as text; the rest is not read. */
async function readBounded(response: Response, maxBytes: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8").trim();
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}
