import { createHmac } from "node:crypto";
import type { Clock } from "../clock.js";
import { DEFAULT_SEND_TIMEOUT_MS, postJson } from "./http-post.js";
import {
  type Channel,
  type Notification,
  PermanentDeliveryError,
  type Route,
} from "./notification.js";

/** The header with the notification's id (a digest's: of its first), for receivers to drop a repeat. */
export const IDEMPOTENCY_HEADER = "idempotency-key";
/** The header with the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = "x-cordyna-signature";

/** The JSON body of a webhook POST. */
export interface WebhookPayload {
  /** For receivers to drop a repeat: the notification's id, or "digest:" and the ids of a digest. */
  readonly idempotencyKey: string;
  readonly notifications: readonly WebhookNotification[];
}

/** One notification as a webhook receives it. */
export interface WebhookNotification {
  readonly id: string;
  readonly rule: string;
  readonly team: string;
  readonly runId: string;
  readonly taskId: string;
  readonly createdAt: string;
  readonly title: string;
  readonly text: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly causedBy?: Notification["causedBy"];
  readonly link?: string;
}

/** The signature header's value for a body sent at `unixSeconds`. */
export function signWebhook(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac("sha256", Buffer.from(secret, "hex"))
    .update(`${unixSeconds}.${body}`)
    .digest("hex");
  return `t=${unixSeconds},v1=${mac}`;
}

/** The key a receiver drops repeats by: the notification's id, or the ids of a digest. */
export function idempotencyKey(notifications: readonly Notification[]): string {
  return notifications.length === 1
    ? (notifications[0]?.id ?? "")
    : `digest:${notifications.map((n) => n.id).join(",")}`;
}

/**
 * POSTs notifications as JSON to `webhook:` routes, signed with the route's
 * secret, which `secretOf` looks up when it sends (a route set anew has a
 * new secret).
 */
export class WebhookChannel implements Channel {
  readonly #secretOf: (team: string, url: string) => Promise<string | undefined>;
  readonly #clock: Clock;
  readonly #timeoutMs: number;

  constructor(options: {
    secretOf: (team: string, url: string) => Promise<string | undefined>;
    clock: Clock;
    timeoutMs?: number;
  }) {
    this.#secretOf = options.secretOf;
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  }

  async send(
    route: Route,
    notifications: readonly Notification[],
    signal: AbortSignal,
  ): Promise<void> {
    if (route.kind !== "webhook")
      throw new PermanentDeliveryError(`the webhook channel cannot send to ${route.kind} routes`);
    const secret = await this.#secretOf(notifications[0]?.team ?? "", route.url);
    if (!secret)
      throw new Error(`webhook ${route.url} has no signing secret: set the team's routes again`);
    const key = idempotencyKey(notifications);
    const payload: WebhookPayload = {
      idempotencyKey: key,
      notifications: notifications.map(webhookNotification),
    };
    const body = JSON.stringify(payload);
    const signature = signWebhook(secret, Math.floor(this.#clock.now() / 1_000), body);
    await postJson(
      route.url,
      body,
      { [IDEMPOTENCY_HEADER]: key, [SIGNATURE_HEADER]: signature },
      `webhook ${route.url}`,
      { timeoutMs: this.#timeoutMs, signal },
    );
  }
}

function webhookNotification(n: Notification): WebhookNotification {
  return {
    id: n.id,
    rule: n.rule,
    team: n.team,
    runId: n.runId,
    taskId: n.taskId,
    createdAt: new Date(n.createdAt).toISOString(),
    title: n.title,
    text: n.text,
    fields: n.fields,
    ...(n.causedBy ? { causedBy: n.causedBy } : {}),
    ...(n.link ? { link: n.link } : {}),
  };
}
