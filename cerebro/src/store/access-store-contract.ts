// What every AccessStore promises, run against each Store implementation.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditRecord } from "../access/audit.js";
import type { Credential } from "../access/credentials.js";
import type { Store } from "./store.js";

function credential(id: string, extra: Partial<Credential> = {}): Credential {
  return {
    id,
    team: "team-a",
    role: "operator",
    serverNames: [],
    description: "nightly CI",
    createdBy: "bootstrap admin",
    createdAt: 1_000,
    secretHash: "ab".repeat(32),
    ...extra,
  };
}

function entry(time: number, team: string, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time,
    principal: `token of ${team}`,
    team,
    action: "ControlService/StartRun",
    target: "a.report",
    allowed: true,
    peer: "127.0.0.1:5000",
    ...extra,
  };
}

/** Declares the AccessStore contract tests for stores made by `open`, a new, empty one per test. */
export function describeAccessStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`AccessStore contract: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await open();
    });

    afterEach(async () => {
      await store.close();
    });

    it("keeps credentials by id; saving one again replaces it", async () => {
      expect(await store.access.loadCredentials()).toEqual([]);
      await store.access.saveCredential(credential("c1"));
      await store.access.saveCredential(
        credential("c2", { role: "server", serverNames: ["task-server-a"] }),
      );
      await store.access.saveCredential(credential("c1", { revokedAt: 5_000 }));
      expect(await store.access.getCredential("c1")).toEqual(
        credential("c1", { revokedAt: 5_000 }),
      );
      expect(await store.access.getCredential("nope")).toBeUndefined();
      const all = (await store.access.loadCredentials()).sort((a, b) => a.id.localeCompare(b.id));
      expect(all.map((c) => c.id)).toEqual(["c1", "c2"]);
      expect(all[1]!.serverNames).toEqual(["task-server-a"]);
    });

    it("lists the audit trail newest first, by team, since a time, at most limit", async () => {
      await store.access.appendAudit(entry(1_000, "team-a"));
      await store.access.appendAudit(
        entry(2_000, "team-b", { allowed: false, code: "PERMISSION_DENIED", message: "no" }),
      );
      await store.access.appendAudit(entry(3_000, "team-a", { target: "run-1" }));
      // The same entry twice in one millisecond is two entries.
      await store.access.appendAudit(entry(3_000, "team-a", { target: "run-1" }));
      expect((await store.access.listAudit({ limit: 10 })).map((e) => e.time)).toEqual([
        3_000, 3_000, 2_000, 1_000,
      ]);
      expect(await store.access.listAudit({ limit: 10, team: "team-b" })).toEqual([
        entry(2_000, "team-b", { allowed: false, code: "PERMISSION_DENIED", message: "no" }),
      ]);
      expect(
        (await store.access.listAudit({ limit: 10, since: 2_000 })).map((e) => e.time),
      ).toEqual([3_000, 3_000, 2_000]);
      expect(await store.access.listAudit({ limit: 1, team: "team-a" })).toEqual([
        entry(3_000, "team-a", { target: "run-1" }),
      ]);
    });
  });
}

/** Checks that an access store keeps the newest `capacity` audit entries (it was made with that capacity). */
export async function expectAuditCapacity(
  access: Store["access"],
  capacity: number,
): Promise<void> {
  for (let time = 1; time <= capacity + 25; time++) await access.appendAudit(entry(time, "t"));
  const kept = await access.listAudit({ limit: capacity + 100 });
  expect(kept.map((e) => e.time)).toEqual(
    Array.from({ length: capacity }, (_, i) => capacity + 25 - i),
  );
}
