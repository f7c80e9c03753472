import { DEFAULT_SEND_TIMEOUT_MS, postJson } from "./http-post.js";
import {
  type Channel,
  type Notification,
  PermanentDeliveryError,
  type Route,
} from "./notification.js";
import { IDEMPOTENCY_HEADER, idempotencyKey } from "./webhook-channel.js";

/** Slack's limit on the text of one section block. */
const MAX_SECTION_TEXT = 3_000;
/** Slack's limit on the blocks of one message. */
const MAX_BLOCKS = 50;

/**
 * POSTs notifications to `slack:` routes, Slack incoming webhooks or any
 * receiver of their format: `{text, blocks}`, one section per notification.
 * The URL is the secret; there is no signature. Slack ignores the
 * idempotency header; other receivers may drop a repeat by it.
 */
export class SlackChannel implements Channel {
  readonly #timeoutMs: number;

  constructor(options: { timeoutMs?: number } = {}) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  }

  async send(
    route: Route,
    notifications: readonly Notification[],
    signal: AbortSignal,
  ): Promise<void> {
    if (route.kind !== "slack")
      throw new PermanentDeliveryError(`the Slack channel cannot send to ${route.kind} routes`);
    if (!URL.canParse(route.url))
      throw new PermanentDeliveryError(`Slack webhook: ${JSON.stringify(route.url)} is not a URL`);
    const key = idempotencyKey(notifications);
    await postJson(
      route.url,
      JSON.stringify(slackMessage(notifications)),
      { [IDEMPOTENCY_HEADER]: key },
      `Slack webhook ${new URL(route.url).origin}`,
      { timeoutMs: this.#timeoutMs, signal },
    );
  }
}

/** The message: a one-line `text` (what notifications show) and a section per notification. */
export function slackMessage(notifications: readonly Notification[]): {
  text: string;
  blocks: unknown[];
} {
  const text =
    notifications.length === 1
      ? (notifications[0]?.title ?? "")
      : `${notifications.length} notifications for team ${notifications[0]?.team ?? ""}`;
  const sections = notifications.slice(0, MAX_BLOCKS - 1).map((n) => ({
    type: "section",
    text: {
      type: "mrkdwn",
      text: truncate(
        `*${escapeMrkdwn(n.title)}*\n${escapeMrkdwn(n.text)}${n.link ? `\n<${n.link}|Open the run>` : ""}`,
      ),
    },
  }));
  const left = notifications.length - sections.length;
  const more =
    left > 0 ? [{ type: "context", elements: [{ type: "mrkdwn", text: `and ${left} more` }] }] : [];
  return { text, blocks: [...sections, ...more] };
}

function truncate(text: string): string {
  return text.length <= MAX_SECTION_TEXT ? text : `${text.slice(0, MAX_SECTION_TEXT - 1)}…`;
}

/** Slack's mrkdwn escapes: &, < and > only. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
