// What the email channel is told to connect to and send as, checked without
// loading nodemailer: cerebro's configuration checks these when it starts,
// long before the first email, and `dyna dev` reads the same settings.

/** An SMTP server as an SMTP URL names it. */
export interface SmtpEndpoint {
  readonly host: string;
  readonly port: number;
  /**
   * smtps: TLS from the first byte. smtp: plain, upgraded with STARTTLS
   * when the server offers it, and only ever sending credentials after it.
   */
  readonly secure: boolean;
  readonly user?: string;
  readonly password?: string;
}

/** The forms an SMTP URL takes, for messages. */
export const SMTP_URL_FORMS = [
  "smtp://host:587",
  "smtp://user:password@host:587",
  "smtps://user:password@host:465",
] as const;

/** Port of each scheme when the URL gives none: submission with STARTTLS, or implicit TLS. */
const DEFAULT_PORTS = { "smtp:": 587, "smtps:": 465 } as const;

/**
 * `text` with the password of `scheme://user:password@host` masked, even
 * when the rest is mistyped: everything between the first colon after the
 * user and the last "@" goes, which may take more than the password but
 * never less.
 */
export function redactSmtpUrl(text: string): string {
  const at = text.lastIndexOf("@");
  const slashes = text.indexOf("//");
  const colon = text.indexOf(":", slashes < 0 ? 0 : slashes + 2);
  if (at < 0 || colon < 0 || colon > at) return text;
  return `${text.slice(0, colon + 1)}***${text.slice(at)}`;
}

/**
 * Reads an SMTP URL: smtp://[user[:password]@]host[:port] or smtps://….
 * Throws an Error naming the URL, password masked, and what is accepted.
 */
export function parseSmtpUrl(text: string): SmtpEndpoint {
  const bad = (why: string) =>
    new Error(`"${redactSmtpUrl(text)}" ${why}: write ${SMTP_URL_FORMS.join(" or ")}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad("is not a URL");
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") {
    throw bad("is not an SMTP URL");
  }
  if (url.hostname === "") throw bad("names no host");
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") {
    // nodemailer reads options from a query; this channel takes them from
    // its own settings, so a query here would be silently ignored.
    throw bad("has a path, query or fragment, which the email channel does not read");
  }
  let user: string;
  let password: string;
  try {
    user = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    throw bad("has a user or password that is not properly percent-encoded");
  }
  if (password !== "" && user === "") throw bad("has a password but no user");
  return {
    // A literal IPv6 address keeps its brackets in URL.hostname; a socket wants it bare.
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? DEFAULT_PORTS[url.protocol] : Number(url.port),
    secure: url.protocol === "smtps:",
    ...(user === "" ? {} : { user }),
    ...(password === "" ? {} : { password }),
  };
}

/**
 * An address on its own, no spaces, quotes or brackets: enough for the
 * addresses operators type, and strict enough that one setting or route
 * can never name two recipients or smuggle a header line.
 */
const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;

/** "Display Name <local@domain>" with a plain name. */
const NAMED_ADDRESS = /^([^<>"\r\n,;]*?)\s*<([^<>]*)>$/;

/**
 * The address part of one mailbox, `local@domain` or `Name <local@domain>`,
 * or undefined when `text` is not exactly one such mailbox.
 */
export function mailboxAddress(text: string): string | undefined {
  const trimmed = text.trim();
  const named = NAMED_ADDRESS.exec(trimmed);
  const address = named ? named[2] : trimmed;
  return address !== undefined && ADDRESS.test(address) ? address : undefined;
}
