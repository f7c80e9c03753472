// dyna auth (credentials, who am I) and dyna audit (the audit trail).

import { durationFromMs, timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type AuditEntry,
  CreateTokenResponseSchema,
  ListAuditResponseSchema,
  ListTokensResponseSchema,
  RevokeTokenResponseSchema,
  Role,
  type TokenInfo,
  WhoAmIResponseSchema,
} from "@cordyna/contract";
import { expectPositionals, type OptionsConfig, parseCommandArgs, UsageError } from "./args.js";
import { resolveAddress, UNARY_TIMEOUT_MS } from "./client.js";
import { type CliContext, EXIT_OK } from "./context.js";
import { printHelp } from "./help.js";
import { renderJson } from "./render.js";

const ROLES: Readonly<Record<string, Role>> = {
  server: Role.SERVER,
  viewer: Role.VIEWER,
  operator: Role.OPERATOR,
  admin: Role.ADMIN,
};

const UNITS_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** "90d", "12h", "30m", "45s" in milliseconds; undefined for anything else. */
function durationMs(text: string): number | undefined {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNITS_MS[match[2]!]!;
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

/** The flags of `dyna auth` (the common ones come on top). */
export const AUTH_FLAGS = {
  team: { type: "string" },
  role: { type: "string" },
  server: { type: "string", multiple: true },
  expires: { type: "string" },
  description: { type: "string" },
  "certificate-cn": { type: "string" },
} as const satisfies OptionsConfig;

/**
 * `dyna auth token create|list|revoke` and `dyna auth whoami`.
 */
export async function authCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("auth", args, AUTH_FLAGS);
  if (values.help) return printHelp(ctx.io, "auth");
  const [subject, verb] = positionals;
  const access = () => ctx.connectAccess(resolveAddress(values.cerebro, ctx.io.env));
  const call = { timeoutMs: UNARY_TIMEOUT_MS };

  if (subject === "whoami") {
    expectPositionals("auth", positionals, 1, 1, "whoami");
    const me = await access().whoAmI({}, call);
    if (values.json) ctx.io.out(renderJson(WhoAmIResponseSchema, me));
    else if (!me.authenticated) ctx.io.out(`${me.principal}: cerebro checks no credentials.`);
    else {
      const servers = me.serverNames.length > 0 ? `, serving ${me.serverNames.join(", ")}` : "";
      ctx.io.out(`${me.principal}: ${roleName(me.role)} of ${me.team || "every team"}${servers}`);
    }
    return EXIT_OK;
  }
  if (subject !== "token") {
    throw new UsageError("expected 'token create|list|revoke' or 'whoami'", "auth");
  }
  switch (verb) {
    case "create": {
      expectPositionals("auth", positionals, 2, 2, "token create");
      const role = ROLES[values.role ?? ""];
      if (role === undefined) {
        throw new UsageError("--role must be server, viewer, operator or admin", "auth");
      }
      const expiresMs = values.expires === undefined ? undefined : durationMs(values.expires);
      if (values.expires !== undefined && expiresMs === undefined) {
        throw new UsageError(`--expires "${values.expires}" is not like 90d, 12h or 30m`, "auth");
      }
      const created = await access().createToken(
        {
          team: values.team ?? "",
          role,
          serverNames: values.server ?? [],
          description: values.description ?? "",
          ...(expiresMs === undefined ? {} : { expiresIn: durationFromMs(expiresMs) }),
          certificateCommonName: values["certificate-cn"] ?? "",
        },
        call,
      );
      if (values.json) {
        ctx.io.out(renderJson(CreateTokenResponseSchema, created));
      } else if (created.token) {
        ctx.io.out(created.token);
        ctx.io.err(
          `Created credential ${created.info?.id} (${describe(created.info)}). The token above is shown ` +
            "this once: cerebro keeps only its hash. Pass it as CORDYNA_TOKEN.",
        );
      } else {
        ctx.io.out(
          `Created credential ${created.info?.id}: client certificates with CN=${created.info?.certificateCommonName} act as ${describe(created.info)}.`,
        );
      }
      return EXIT_OK;
    }
    case "list": {
      expectPositionals("auth", positionals, 2, 2, "token list");
      const listed = await access().listTokens({}, call);
      const { tokens } = listed;
      if (values.json) {
        ctx.io.out(renderJson(ListTokensResponseSchema, listed));
        return EXIT_OK;
      }
      if (tokens.length === 0) ctx.io.out("No credentials.");
      for (const token of tokens)
        ctx.io.out(`${token.id}  ${describe(token)}  ${status(token, ctx.now())}`);
      return EXIT_OK;
    }
    case "revoke": {
      expectPositionals("auth", positionals, 3, 3, "token revoke <id>");
      const revoked = await access().revokeToken({ tokenId: positionals[2] ?? "" }, call);
      if (values.json) ctx.io.out(renderJson(RevokeTokenResponseSchema, revoked));
      else ctx.io.out(`Credential ${revoked.token?.id} is revoked; streams it opened were ended.`);
      return EXIT_OK;
    }
    default:
      throw new UsageError("expected 'token create', 'token list' or 'token revoke <id>'", "auth");
  }
}

/** The flags of `dyna audit` (the common ones come on top). */
export const AUDIT_FLAGS = {
  team: { type: "string" },
  since: { type: "string" },
  limit: { type: "string" },
} as const satisfies OptionsConfig;

/** `dyna audit [--team T] [--since 24h|<ISO time>] [--limit N]`. */
export async function auditCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs("audit", args, AUDIT_FLAGS);
  if (values.help) return printHelp(ctx.io, "audit");
  expectPositionals("audit", positionals, 0, 0, "");
  let since: number | undefined;
  if (values.since !== undefined) {
    const ago = durationMs(values.since);
    since = ago === undefined ? Date.parse(values.since) : ctx.now() - ago;
    if (Number.isNaN(since)) {
      throw new UsageError(
        `--since "${values.since}" is neither a duration (24h, 7d) nor a time (2026-12-01T00:00:00Z)`,
        "audit",
      );
    }
  }
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) {
    throw new UsageError("--limit must be a whole number from 1 to 1000", "audit");
  }
  const listed = await ctx.connectAccess(resolveAddress(values.cerebro, ctx.io.env)).listAudit(
    {
      team: values.team ?? "",
      ...(since === undefined ? {} : { since: timestampFromMs(since) }),
      limit,
    },
    { timeoutMs: UNARY_TIMEOUT_MS },
  );
  if (values.json) {
    ctx.io.out(renderJson(ListAuditResponseSchema, listed));
    return EXIT_OK;
  }
  if (listed.entries.length === 0) ctx.io.out("No audit entries.");
  for (const entry of listed.entries) ctx.io.out(auditLine(entry));
  return EXIT_OK;
}

function auditLine(entry: AuditEntry): string {
  const time = entry.time ? timestampDate(entry.time).toISOString() : "?";
  const outcome = entry.allowed ? "allowed" : `REFUSED ${entry.code}`;
  const target = entry.target ? ` ${entry.target}` : "";
  const why = entry.allowed ? "" : `: ${entry.message}`;
  return `${time}  ${outcome}  ${entry.action}${target}  by ${entry.principal} from ${entry.peer}${why}`;
}

function roleName(role: Role): string {
  return (Role[role] ?? String(role)).toLowerCase();
}

function describe(token: TokenInfo | undefined): string {
  if (!token) return "";
  const servers = token.serverNames.length > 0 ? ` serving ${token.serverNames.join(", ")}` : "";
  const team = token.team ? `${token.team} ` : "";
  const what = token.description ? ` "${token.description}"` : "";
  return `${team}${roleName(token.role)}${servers}${what}`;
}

function status(token: TokenInfo, now: number): string {
  if (token.revokedAt) return `revoked ${timestampDate(token.revokedAt).toISOString()}`;
  if (token.expiresAt) {
    const at = timestampDate(token.expiresAt);
    return at.getTime() <= now ? `expired ${at.toISOString()}` : `expires ${at.toISOString()}`;
  }
  return "valid until revoked";
}
