import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseCerebroConfig } from "../config.js";
import { createTestPki, type TestPki } from "../testing/index.js";
import { type EmailChannelOptions, emailChannel, NOTIFICATION_ID_HEADER } from "./email-channel.js";
import { type Notification, PermanentDeliveryError, type Route } from "./notification.js";

/** One email as the SMTP server took it. */
interface Received {
  /** Envelope recipients: where the server delivers it, whatever the headers say. */
  readonly recipients: readonly string[];
  readonly mail: ParsedMail;
  /** Whether the message came over TLS (STARTTLS or implicit). */
  readonly secure: boolean;
  /** The user who logged in, if any. */
  readonly user?: string;
}

interface TestSmtpServer {
  readonly port: number;
  readonly received: Received[];
  /** Every login tried: user and password. */
  readonly logins: { user: string; password: string }[];
  close(): Promise<void>;
}

const PASSWORD = "s3cret-Passw0rd";

/** A real SMTP server on a free loopback port, keeping what it receives. */
async function startSmtpServer(
  options: SMTPServerOptions & { readonly refuse?: string } = {},
): Promise<TestSmtpServer> {
  const received: Received[] = [];
  const logins: { user: string; password: string }[] = [];
  const { refuse, ...serverOptions } = options;
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    onAuth(auth, _session, callback) {
      logins.push({ user: auth.username ?? "", password: auth.password ?? "" });
      if (auth.username === "cordyna" && auth.password === PASSWORD) {
        callback(null, { user: auth.username });
      } else {
        callback(
          Object.assign(new Error("Authentication credentials invalid"), { responseCode: 535 }),
        );
      }
    },
    onRcptTo(address, _session, callback) {
      if (address.address === refuse) {
        callback(Object.assign(new Error("mailbox unavailable"), { responseCode: 550 }));
      } else {
        callback();
      }
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push({
            recipients: session.envelope.rcptTo.map((to) => to.address),
            mail,
            secure: session.secure,
            ...(session.user ? { user: String(session.user) } : {}),
          });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
    ...serverOptions,
  });
  server.listen(0, "127.0.0.1");
  await once(server.server, "listening");
  const address = server.server.address();
  if (!address || typeof address === "string") throw new Error("not listening on TCP");
  return {
    port: address.port,
    received,
    logins,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A plain server: no STARTTLS, no AUTH, as a relay on a private network is. */
const PLAIN: SMTPServerOptions = { disabledCommands: ["STARTTLS", "AUTH"] };

/** A TCP server that accepts connections and never says a word, as a wedged SMTP server does. */
async function startSilentServer() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("not listening on TCP");
  return {
    port: address.port,
    server,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const ONCALL: Route = { kind: "email", address: "oncall@example.com" };
const FROM = "Cordyna <cordyna@example.com>";

function notification(overrides: Partial<Notification> = {}): Notification {
  return {
    id: "failed/run_1/b.mail-digest/team-b",
    rule: "failed",
    team: "team-b",
    runId: "run_1",
    taskId: "b.mail-digest",
    createdAt: Date.UTC(2030, 0, 2, 3, 4, 5),
    title: "b.mail-digest failed in run run_1: SMTP relay refused",
    text:
      "Cause: SMTP relay refused (attempt 3 of 3)\n\n" +
      "Last lines of its log:\n" +
      "  connecting to <relay.internal:25>\n" +
      "  relay said: 554 relaying denied\n",
    fields: { cause: "SMTP relay refused" },
    link: "https://console.example.com/runs/run_1",
    ...overrides,
  };
}

function notificationIds(mail: ParsedMail): string[] {
  return mail.headerLines
    .filter((line) => line.key === NOTIFICATION_ID_HEADER.toLowerCase())
    .map((line) => line.line.slice(line.line.indexOf(":") + 1).trim());
}

/** The rejection of `promise`, which must reject. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

const notAborted = () => new AbortController().signal;

let pki: TestPki;
beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki.remove());

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function smtpServer(options?: Parameters<typeof startSmtpServer>[0]) {
  const server = await startSmtpServer(options);
  cleanups.push(() => server.close());
  return server;
}

async function silentServer() {
  const server = await startSilentServer();
  cleanups.push(() => server.close());
  return server;
}

function channelTo(port: number, options: Partial<EmailChannelOptions> = {}) {
  return emailChannel({ smtpUrl: `smtp://127.0.0.1:${port}`, from: FROM, ...options });
}

describe("emailChannel", () => {
  it("sends one notification to the route's address: its title as subject, its text as body, its id in a header", async () => {
    const server = await smtpServer(PLAIN);
    await channelTo(server.port).send(ONCALL, [notification()], notAborted());

    expect(server.received).toHaveLength(1);
    const [{ recipients, mail }] = server.received as [Received];
    expect(recipients).toEqual(["oncall@example.com"]);
    expect(mail.to).toMatchObject({ text: "oncall@example.com" });
    expect(mail.from).toMatchObject({
      value: [{ name: "Cordyna", address: "cordyna@example.com" }],
    });
    expect(mail.subject).toBe("b.mail-digest failed in run run_1: SMTP relay refused");
    expect(mail.text).toContain("Cause: SMTP relay refused (attempt 3 of 3)");
    expect(mail.text).toContain(
      "  connecting to <relay.internal:25>\n  relay said: 554 relaying denied\n",
    );
    expect(mail.text).toContain("https://console.example.com/runs/run_1");
    // The HTML part shows the log line as text, not as a tag.
    expect(mail.html).toContain("connecting to &#60;relay.internal:25&#62;");
    expect(notificationIds(mail)).toEqual(["failed/run_1/b.mail-digest/team-b"]);
    expect(mail.headers.get("auto-submitted")).toBe("auto-generated");
  });

  it("sends several notifications for a team as one digest whose subject counts them", async () => {
    const server = await smtpServer(PLAIN);
    const digest = [
      notification(),
      notification({
        id: "blocked/run_1/b.report/team-b",
        rule: "blocked",
        taskId: "b.report",
        title: "b.report is blocked in run run_1 by b.mail-digest",
        text: "Blocked by b.mail-digest of team-b, which failed: SMTP relay refused\n",
      }),
      notification({
        id: "late/run_2/b.nightly/team-b",
        rule: "late",
        runId: "run_2",
        taskId: "b.nightly",
        title: "b.nightly is late: expected by 06:00",
        text: "b.nightly has not completed; it was expected by 06:00 UTC.\n",
      }),
    ];
    await channelTo(server.port).send(ONCALL, digest, notAborted());

    expect(server.received).toHaveLength(1);
    const [{ mail }] = server.received as [Received];
    expect(mail.subject).toMatch(
      /^3 notifications for team-b: b\.mail-digest failed in run run_1: SMTP relay refused; b\.report is blocked/,
    );
    for (const each of digest) {
      expect(mail.text).toContain(each.title);
      expect(mail.text).toContain(each.text);
    }
    expect(notificationIds(mail)).toEqual(digest.map((each) => each.id));
  });

  it("gives a repeat of a send the same Message-ID, so that a mail system can drop it", async () => {
    const server = await smtpServer(PLAIN);
    const channel = channelTo(server.port);
    await channel.send(ONCALL, [notification()], notAborted());
    await channel.send(ONCALL, [notification()], notAborted());
    await channel.send(
      ONCALL,
      [notification({ id: "failed/run_2/b.mail-digest/team-b" })],
      notAborted(),
    );

    const [first, repeat, other] = server.received.map((each) => each.mail.messageId);
    expect(first).toMatch(/^<[0-9a-f]+\.notification@example\.com>$/);
    expect(repeat).toBe(first);
    expect(other).not.toBe(first);
  });

  it("rejects for good, naming the route and what the server said, when it refuses the recipient", async () => {
    const server = await smtpServer({ ...PLAIN, refuse: "oncall@example.com" });
    const error = await rejection(
      channelTo(server.port).send(ONCALL, [notification()], notAborted()),
    );
    expect(error.message).toBe("email to oncall@example.com: 550 mailbox unavailable");
    // A 5xx for the recipient: no retry can change the answer.
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(server.received).toEqual([]);
  });

  it("gives up within the greeting timeout on a server that accepts the connection but never answers", async () => {
    const silent = await silentServer();
    const started = Date.now();
    const error = await rejection(
      channelTo(silent.port, { greetingTimeoutMs: 300 }).send(
        ONCALL,
        [notification()],
        notAborted(),
      ),
    );
    expect(error.message).toBe(
      `email to oncall@example.com: Greeting never received (SMTP server 127.0.0.1:${silent.port})`,
    );
    // Far below the default greeting timeout of 10 s: the setting was used.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("gives up when its signal aborts", async () => {
    const silent = await silentServer();
    const abort = new AbortController();
    silent.server.once("connection", () => abort.abort());
    // Timeouts far longer than the test's: only the signal can end this send.
    const channel = channelTo(silent.port, {
      greetingTimeoutMs: 600_000,
      socketTimeoutMs: 600_000,
    });
    const error = await rejection(channel.send(ONCALL, [notification()], abort.signal));
    expect(error.message).toBe("email to oncall@example.com: gave up: aborted");
  });

  it("does not connect when its signal has already aborted", async () => {
    const silent = await silentServer();
    let connections = 0;
    silent.server.on("connection", () => connections++);
    const error = await rejection(
      channelTo(silent.port).send(ONCALL, [notification()], AbortSignal.abort()),
    );
    expect(error.message).toBe("email to oncall@example.com: gave up: aborted");
    expect(connections).toBe(0);
  });

  describe("over TLS", () => {
    const tlsServer = (options: SMTPServerOptions = {}) =>
      smtpServer({ key: pki.read("server.key"), cert: pki.read("server.pem"), ...options });

    it("logs in after STARTTLS, verifying the server with the configured CA", async () => {
      const server = await tlsServer();
      const channel = emailChannel({
        smtpUrl: `smtp://cordyna:${PASSWORD}@127.0.0.1:${server.port}`,
        from: FROM,
        ca: pki.read("ca.pem"),
      });
      await channel.send(ONCALL, [notification()], notAborted());
      expect(server.received).toMatchObject([
        { recipients: ["oncall@example.com"], secure: true, user: "cordyna" },
      ]);
    });

    it("rejects a wrong password, naming the route and the server's reply but not the password", async () => {
      const server = await tlsServer();
      const wrong = "wr0ng-Passw0rd";
      const channel = emailChannel({
        smtpUrl: `smtp://cordyna:${wrong}@127.0.0.1:${server.port}`,
        from: FROM,
        ca: pki.read("ca.pem"),
      });
      const error = await rejection(channel.send(ONCALL, [notification()], notAborted()));
      expect(error.message).toBe(
        "email to oncall@example.com: authentication failed: 535 Authentication credentials invalid",
      );
      // cerebro's own password: retried, for an operator may fix it meanwhile.
      expect(error).not.toBeInstanceOf(PermanentDeliveryError);
      expect(
        JSON.stringify({ ...error, message: error.message, stack: error.stack }),
      ).not.toContain(wrong);
      expect(server.logins).toEqual([{ user: "cordyna", password: wrong }]);
      expect(server.received).toEqual([]);
    });

    it("never sends a password to a server that offers no STARTTLS", async () => {
      const server = await smtpServer({ disabledCommands: ["STARTTLS"], allowInsecureAuth: true });
      const channel = emailChannel({
        smtpUrl: `smtp://cordyna:${PASSWORD}@127.0.0.1:${server.port}`,
        from: FROM,
      });
      const error = await rejection(channel.send(ONCALL, [notification()], notAborted()));
      expect(error.message).toBe(
        "email to oncall@example.com: the server refused STARTTLS, without which the password is not sent: 500 Error: command not recognized",
      );
      expect(error.message).not.toContain(PASSWORD);
      expect(server.logins).toEqual([]);
      expect(server.received).toEqual([]);
    });

    it("refuses a server whose certificate no trusted CA signed", async () => {
      const server = await tlsServer();
      // Without the private CA, the test PKI's server certificate is nobody's.
      const error = await rejection(
        channelTo(server.port).send(ONCALL, [notification()], notAborted()),
      );
      expect(error.message).toMatch(/^email to oncall@example\.com: .*certificate/i);
      expect(server.received).toEqual([]);
    });

    it("speaks TLS from the first byte to an smtps:// URL", async () => {
      const server = await tlsServer({ secure: true });
      const channel = emailChannel({
        smtpUrl: `smtps://cordyna:${PASSWORD}@127.0.0.1:${server.port}`,
        from: FROM,
        ca: pki.read("ca.pem"),
      });
      await channel.send(ONCALL, [notification()], notAborted());
      expect(server.received).toMatchObject([{ secure: true, user: "cordyna" }]);
    });
  });

  it("refuses a route that is not one email address, or not an email route", async () => {
    const channel = channelTo(1);
    const twoRecipients = { kind: "email", address: "a@example.com, b@example.com" } as const;
    expect(
      (await rejection(channel.send(twoRecipients, [notification()], notAborted()))).message,
    ).toBe("email to a@example.com, b@example.com: not one email address");
    const webhook = { kind: "webhook", url: "https://hooks.example.com/x" } as const;
    expect((await rejection(channel.send(webhook, [notification()], notAborted()))).message).toBe(
      "the email channel cannot send to a webhook route",
    );
  });

  it("refuses an SMTP URL or From address it cannot use, without showing the password", () => {
    expect(() => emailChannel({ smtpUrl: "http://user:hunter22@mail", from: FROM })).toThrow(
      /^"http:\/\/user:\*\*\*@mail" is not an SMTP URL/,
    );
    expect(() => emailChannel({ smtpUrl: "smtp://mail", from: "cordyna" })).toThrow(
      '"cordyna" is not one email address',
    );
  });
});

describe("the email channel cerebro's environment configures", () => {
  it("builds the channel cerebro's environment configures, trusting its CA file", async () => {
    const server = await smtpServer({ key: pki.read("server.key"), cert: pki.read("server.pem") });
    const config = parseCerebroConfig({
      CORDYNA_SMTP_URL: `smtp://cordyna:${PASSWORD}@127.0.0.1:${server.port}`,
      CORDYNA_NOTIFY_FROM: FROM,
      CORDYNA_SMTP_CA: pki.path("ca.pem"),
    });
    const options = config.notifications?.email;
    expect(options).toBeDefined();
    await emailChannel(options!).send(ONCALL, [notification()], notAborted());
    expect(server.received).toMatchObject([{ recipients: ["oncall@example.com"], secure: true }]);
  });

  it("is not configured without an SMTP server", () => {
    expect(parseCerebroConfig({}).notifications?.email).toBeUndefined();
  });
});
