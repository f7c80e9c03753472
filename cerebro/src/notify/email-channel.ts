// The email channel: one email per send, to the route's address, over SMTP.

import { createHash } from "node:crypto";
import { createTransport } from "nodemailer";
import { mailboxAddress, parseSmtpUrl } from "./email-settings.js";
import {
  type Channel,
  type Notification,
  PermanentDeliveryError,
  type Route,
} from "./notification.js";

/** What the email channel connects to and sends as. */
export interface EmailChannelOptions {
  /** smtp://[user:password@]host[:port] (STARTTLS) or smtps://… (TLS); see parseSmtpUrl. */
  readonly smtpUrl: string;
  /** The From of every email: "cordyna@example.com" or "Cordyna <cordyna@example.com>". */
  readonly from: string;
  /** PEM CA certificates to trust for the server's certificate instead of the system's, for a private SMTP server. */
  readonly ca?: string | Buffer;
  /** How long connecting may take (default 10 s). */
  readonly connectionTimeoutMs?: number;
  /** How long the server may take to greet once connected (default 10 s). */
  readonly greetingTimeoutMs?: number;
  /** How long the server may stay silent in the middle of a conversation (default 60 s). */
  readonly socketTimeoutMs?: number;
}

const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;
const DEFAULT_GREETING_TIMEOUT_MS = 10_000;
const DEFAULT_SOCKET_TIMEOUT_MS = 60_000;

/** The header carrying the id of each notification in an email, once per id. */
export const NOTIFICATION_ID_HEADER = "X-Cordyna-Notification";

/** The longest digest subject; past it a mail client cuts it off anyway. */
const MAX_DIGEST_SUBJECT = 200;

/** What an email says: composed apart from sending, so that a repeat says the same. */
export interface ComposedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Derived from the notification ids alone, so that a repeat of a send carries the same one. */
  readonly messageId: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
}

/**
 * Sends each send's notifications as one email to the route's address.
 * Throws at once when the SMTP URL or the From address is not usable.
 */
export function emailChannel(options: EmailChannelOptions): Channel {
  const endpoint = parseSmtpUrl(options.smtpUrl);
  const fromAddress = mailboxAddress(options.from);
  if (fromAddress === undefined) {
    throw new Error(
      `${JSON.stringify(options.from)} is not one email address, e.g. "Cordyna <cordyna@example.com>"`,
    );
  }
  const fromDomain = fromAddress.slice(fromAddress.lastIndexOf("@") + 1);
  const transport = createTransport({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    // Credentials never cross the network in the clear: without TLS from the
    // start, the server must take STARTTLS before anything is sent.
    requireTLS: !endpoint.secure && endpoint.user !== undefined,
    ...(endpoint.user === undefined
      ? {}
      : { auth: { user: endpoint.user, pass: endpoint.password ?? "" } }),
    ...(options.ca === undefined ? {} : { tls: { ca: options.ca } }),
    connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    greetingTimeout: options.greetingTimeoutMs ?? DEFAULT_GREETING_TIMEOUT_MS,
    socketTimeout: options.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS,
    logger: false,
  });
  const server = `${endpoint.host}:${endpoint.port}`;

  return {
    async send(route: Route, notifications: readonly Notification[], signal: AbortSignal) {
      if (route.kind !== "email") {
        throw new PermanentDeliveryError(`the email channel cannot send to a ${route.kind} route`);
      }
      if (notifications.length === 0) return;
      if (mailboxAddress(route.address) === undefined) {
        throw new PermanentDeliveryError(`email to ${route.address}: not one email address`);
      }
      const email = composeEmail(notifications, fromDomain);
      try {
        await transport.sendMail({
          from: options.from,
          to: route.address,
          subject: email.subject,
          text: email.text,
          html: email.html,
          messageId: email.messageId,
          headers: email.headers,
          signal,
        });
      } catch (error) {
        const said = signal.aborted
          ? "gave up: aborted"
          : whatWentWrong(error, server, endpoint.user !== undefined);
        // A new error, not nodemailer's: the outbox may log it whole, and only
        // this message is known to hold no password.
        const message = `email to ${route.address}: ${hide(said, endpoint.password)}`;
        throw !signal.aborted && refusedForGood(error)
          ? new PermanentDeliveryError(message)
          : new Error(message);
      }
    },
  };
}

/**
 * Whether the server refused the recipient or the message for good: a 5xx
 * reply to RCPT TO or to the message (nodemailer's EENVELOPE, EMESSAGE). A
 * 5xx to logging in or STARTTLS is cerebro's own settings, which an
 * operator may fix while the delivery waits, so it is retried.
 */
function refusedForGood(error: unknown): boolean {
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  return (
    typeof responseCode === "number" &&
    responseCode >= 500 &&
    responseCode <= 599 &&
    (code === "EENVELOPE" || code === "EMESSAGE")
  );
}

/** What the server said, or why there was no server to say it. */
function whatWentWrong(error: unknown, server: string, loggingIn: boolean): string {
  if (!(error instanceof Error)) return String(error);
  const { code, response } = error as Error & { code?: unknown; response?: unknown };
  if (typeof response === "string" && response.trim() !== "") {
    const said = response.trim();
    if (code === "EAUTH") return `authentication failed: ${said}`;
    if (code === "ETLS") {
      return loggingIn
        ? `the server refused STARTTLS, without which the password is not sent: ${said}`
        : `the server refused STARTTLS: ${said}`;
    }
    return said;
  }
  // No reply: the connection, a timeout or TLS failed; say where it went.
  return `${error.message} (SMTP server ${server})`;
}

function hide(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join("***") : text;
}

/**
 * The email for a send: one notification as itself, several as a digest
 * whose subject counts them.
 */
export function composeEmail(
  notifications: readonly Notification[],
  messageIdDomain: string,
): ComposedEmail {
  const [first] = notifications;
  if (first === undefined) throw new Error("an email needs at least one notification");
  const ids = notifications.map((n) => n.id);
  const teams = [...new Set(notifications.map((n) => n.team))].join(", ");
  const single = notifications.length === 1;
  const subject = single
    ? first.title
    : shorten(
        `${notifications.length} notifications for ${teams}: ${notifications.map((n) => n.title).join("; ")}`,
        MAX_DIGEST_SUBJECT,
      );
  const text = single
    ? textOf(first)
    : notifications.map((n, i) => `${i + 1}. ${n.title}\n\n${textOf(n)}`).join("\n----\n\n");
  const html = notifications
    .map((n) => `${single ? "" : `<h3>${escapeHtml(n.title)}</h3>\n`}${htmlOf(n)}`)
    .join("<hr>\n");
  const digest = createHash("sha256")
    .update([...ids].sort().join("\n"))
    .digest("hex");
  return {
    subject,
    text,
    html,
    messageId: `<${digest.slice(0, 40)}.notification@${messageIdDomain}>`,
    headers: {
      [NOTIFICATION_ID_HEADER]: ids,
      // RFC 3834: no out-of-office replies to a machine.
      "Auto-Submitted": "auto-generated",
      "X-Cordyna-Team": teams,
    },
  };
}

function textOf(notification: Notification): string {
  const body = notification.text.endsWith("\n") ? notification.text : `${notification.text}\n`;
  return notification.link ? `${body}\n${notification.link}\n` : body;
}

/** The text as written, log tails in a fixed-width font that still wraps. */
function htmlOf(notification: Notification): string {
  const body = `<pre style="white-space: pre-wrap">${escapeHtml(notification.text)}</pre>\n`;
  const { link } = notification;
  if (!link) return body;
  const shown = escapeHtml(link);
  return /^https?:\/\//i.test(link)
    ? `${body}<p><a href="${shown}">${shown}</a></p>\n`
    : `${body}<p>${shown}</p>\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
