import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  type AccessService,
  AuditEntrySchema,
  CreateTokenResponseSchema,
  ListAuditResponseSchema,
  ListTokensResponseSchema,
  Role as ProtoRole,
  RevokeTokenResponseSchema,
  TokenInfoSchema,
  WhoAmIResponseSchema,
} from "@cordyna/contract";
import type { Logger } from "pino";
import type { AccessControl } from "../access/access-control.js";
import type { AuditRecord } from "../access/audit.js";
import type { Credential } from "../access/credentials.js";
import type { Role } from "../access/principal.js";
import { CordynaError } from "../domain/errors.js";
import { principalOf } from "./authentication.js";
import { peerOf } from "./call-context.js";
import { toConnectError } from "./control-service.js";

/** Audit entries one ListAudit returns when it asks for no number. */
const DEFAULT_AUDIT_PAGE = 100;

/** The AccessService: credentials (admins) and the audit trail. */
export function accessService(
  access: AccessControl,
  logger: Logger,
): ServiceImpl<typeof AccessService> {
  const audited = async <T>(
    context: HandlerContext,
    action: string,
    target: string,
    work: () => Promise<T>,
  ): Promise<T> => {
    try {
      const result = await work();
      await access.audit(principalOf(context), {
        action: `AccessService/${action}`,
        target,
        peer: peerOf(context).address,
      });
      return result;
    } catch (reason) {
      throw toConnectError(reason, logger, action);
    }
  };
  return {
    async createToken(request, context) {
      const target = `${request.team || "(no team)"} ${ProtoRole[request.role] ?? request.role}`;
      const created = await audited(context, "CreateToken", target, () =>
        access.createCredential(principalOf(context), {
          team: request.team,
          role: roleFromProto(request.role),
          serverNames: request.serverNames,
          description: request.description,
          ...(request.expiresIn
            ? {
                expiresInMs:
                  Number(request.expiresIn.seconds) * 1_000 + request.expiresIn.nanos / 1e6,
              }
            : {}),
          ...(request.certificateCommonName
            ? { certificateCommonName: request.certificateCommonName }
            : {}),
        }),
      );
      return create(CreateTokenResponseSchema, {
        token: created.token ?? "",
        info: tokenInfo(created.credential),
      });
    },

    async listTokens() {
      return create(ListTokensResponseSchema, { tokens: access.credentials().map(tokenInfo) });
    },

    async revokeToken(request, context) {
      const revoked = await audited(context, "RevokeToken", request.tokenId, () =>
        access.revoke(principalOf(context), request.tokenId),
      );
      return create(RevokeTokenResponseSchema, { token: tokenInfo(revoked) });
    },

    async listAudit(request, context) {
      try {
        const principal = principalOf(context);
        await access.require(
          principal,
          { kind: "read-audit", team: request.team || principal.team },
          {
            action: "AccessService/ListAudit",
            target: request.team,
            peer: peerOf(context).address,
          },
        );
        const entries = await access.listAudit(principal, {
          ...(request.team ? { team: request.team } : {}),
          ...(request.since ? { since: timestampMs(request.since) } : {}),
          limit: request.limit || DEFAULT_AUDIT_PAGE,
        });
        return create(ListAuditResponseSchema, { entries: entries.map(auditEntry) });
      } catch (reason) {
        throw toConnectError(reason, logger, "ListAudit");
      }
    },

    async whoAmI(_request, context) {
      const principal = principalOf(context);
      return create(WhoAmIResponseSchema, {
        principal: principal.name,
        team: principal.team,
        role: roleToProto(principal.role),
        serverNames: [...principal.serverNames],
        authenticated: principal.authenticated,
      });
    },
  };
}

const ROLES: Record<Role, ProtoRole> = {
  server: ProtoRole.SERVER,
  viewer: ProtoRole.VIEWER,
  operator: ProtoRole.OPERATOR,
  admin: ProtoRole.ADMIN,
};

function roleToProto(role: Role): ProtoRole {
  return ROLES[role];
}

function roleFromProto(role: ProtoRole): Role {
  const found = (Object.keys(ROLES) as Role[]).find((name) => ROLES[name] === role);
  if (!found) {
    throw new CordynaError("INVALID_ARGUMENT", "role must be SERVER, VIEWER, OPERATOR or ADMIN");
  }
  return found;
}

function tokenInfo(credential: Credential) {
  return create(TokenInfoSchema, {
    id: credential.id,
    team: credential.team,
    role: roleToProto(credential.role),
    serverNames: [...credential.serverNames],
    description: credential.description,
    createdBy: credential.createdBy,
    createdAt: timestampFromMs(credential.createdAt),
    ...(credential.expiresAt === undefined
      ? {}
      : { expiresAt: timestampFromMs(credential.expiresAt) }),
    ...(credential.revokedAt === undefined
      ? {}
      : { revokedAt: timestampFromMs(credential.revokedAt) }),
    certificateCommonName: credential.certificateCommonName ?? "",
  });
}

function auditEntry(entry: AuditRecord) {
  return create(AuditEntrySchema, {
    time: timestampFromMs(entry.time),
    principal: entry.principal,
    team: entry.team,
    action: entry.action,
    target: entry.target,
    allowed: entry.allowed,
    code: entry.code ?? "",
    message: entry.message ?? "",
    peer: entry.peer,
  });
}
