// What every NotificationStore promises, run against each Store implementation.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Notification } from "../notify/notification.js";
import type { Delivery } from "./notification-store.js";
import type { Store } from "./store.js";

function delivery(id: string, team = "team-a"): Delivery {
  const notification: Notification = {
    id,
    rule: "failed",
    team,
    runId: "run-1",
    taskId: "a.fetch",
    createdAt: 1_000,
    title: `${id} failed`,
    text: "it failed",
    fields: { cause: "TASK_FAILED" },
  };
  return {
    id: `${id} webhook`,
    notification,
    route: { kind: "webhook", url: "https://example.com/hook" },
    attempts: 0,
  };
}

const roomy = { maxPending: 100, rememberedSince: 0 };

/** Declares the NotificationStore contract tests for stores made by `open`, a new, empty one per test. */
export function describeNotificationStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`NotificationStore contract: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await open();
    });

    afterEach(async () => {
      await store.close();
    });

    it("keeps each team's routes, replacing them; none forgets the team", async () => {
      const notify = store.notifications;
      await notify.setRoutes("team-b", [{ route: { kind: "email", address: "b@example.com" } }]);
      await notify.setRoutes("team-a", [
        { route: { kind: "webhook", url: "https://a.example/hook" }, secret: "ab12" },
      ]);
      await notify.setRoutes("team-b", [
        { route: { kind: "slack", url: "https://hooks.example/x" } },
      ]);
      expect(await notify.listRoutes()).toEqual([
        {
          team: "team-a",
          routes: [{ route: { kind: "webhook", url: "https://a.example/hook" }, secret: "ab12" }],
        },
        { team: "team-b", routes: [{ route: { kind: "slack", url: "https://hooks.example/x" } }] },
      ]);
      await notify.setRoutes("team-a", []);
      expect(await notify.getRoutes("team-a")).toEqual([]);
      expect((await notify.listRoutes()).map((t) => t.team)).toEqual(["team-b"]);
    });

    it("remembers a task's failure until it is cleared, once", async () => {
      await store.notifications.markFailed(
        new Map([
          ["a.fetch", "run-1"],
          ["b.load", "run-1"],
        ]),
      );
      await store.notifications.markFailed(new Map([["a.fetch", "run-2"]]));
      expect(await store.notifications.clearFailed(["a.fetch", "c.never"])).toEqual(
        new Map([["a.fetch", "run-2"]]),
      );
      expect(await store.notifications.clearFailed(["a.fetch", "b.load"])).toEqual(
        new Map([["b.load", "run-1"]]),
      );
    });

    it("keeps each task's last tick checked for lateness", async () => {
      const notify = store.notifications;
      expect(await notify.loadLateChecks()).toEqual(new Map());
      await notify.saveLateCheck("a.fetch", Date.UTC(2026, 0, 1, 3));
      await notify.saveLateCheck("b.load", Date.UTC(2026, 0, 1, 4));
      await notify.saveLateCheck("a.fetch", Date.UTC(2026, 0, 2, 3));
      expect(await notify.loadLateChecks()).toEqual(
        new Map([
          ["a.fetch", Date.UTC(2026, 0, 2, 3)],
          ["b.load", Date.UTC(2026, 0, 1, 4)],
        ]),
      );
    });

    it("keeps one delivery per id, in the outbox or delivered recently", async () => {
      const notify = store.notifications;
      expect(await notify.enqueue([delivery("n1"), delivery("n1")], roomy)).toEqual({
        added: 1,
        duplicates: 1,
        refused: 0,
      });
      const [claimed] = await notify.claim(5_000, 6_000, 10);
      await notify.delivered([claimed!.id], 5_500, 0);
      expect(await notify.pending()).toEqual({ count: 0 });
      // Delivered at 5,500: a repeat is dropped while remembered, added once forgotten.
      expect(
        await notify.enqueue([delivery("n1")], { maxPending: 10, rememberedSince: 5_000 }),
      ).toMatchObject({ added: 0, duplicates: 1 });
      expect(
        await notify.enqueue([delivery("n1")], { maxPending: 10, rememberedSince: 6_000 }),
      ).toMatchObject({ added: 1, duplicates: 0 });
    });

    it("refuses deliveries beyond the outbox's limit", async () => {
      const result = await store.notifications.enqueue(
        [delivery("n1"), delivery("n2"), delivery("n3")],
        { maxPending: 2, rememberedSince: 0 },
      );
      expect(result).toEqual({ added: 2, duplicates: 0, refused: 1 });
      expect((await store.notifications.pending()).count).toBe(2);
    });

    it("claims a delivery once until its claim ends, then again", async () => {
      const notify = store.notifications;
      await notify.enqueue([delivery("n1"), delivery("n2")], roomy);
      expect((await notify.claim(1_000, 2_000, 1)).map((d) => d.id)).toEqual(["n1 webhook"]);
      expect((await notify.claim(1_000, 2_000, 10)).map((d) => d.id)).toEqual(["n2 webhook"]);
      expect(await notify.claim(1_999, 3_000, 10)).toEqual([]);
      expect(await notify.pending()).toEqual({ count: 2, nextDueAt: 2_000 });
      expect((await notify.claim(2_000, 3_000, 10)).map((d) => d.id)).toEqual([
        "n1 webhook",
        "n2 webhook",
      ]);
    });

    it("reschedules a claimed delivery with what it learned, unless it left the outbox", async () => {
      const notify = store.notifications;
      await notify.enqueue([delivery("n1"), delivery("n2")], roomy);
      const [first, second] = await notify.claim(1_000, 2_000, 10);
      await notify.reschedule({ ...first!, attempts: 1, lastError: "503" }, 1_500);
      await notify.drop([second!.id]);
      await notify.reschedule({ ...second!, attempts: 1 }, 1_500);
      expect(await notify.claim(1_500, 2_500, 10)).toEqual([
        { ...first!, attempts: 1, lastError: "503" },
      ]);
      expect((await notify.pending()).count).toBe(1);
    });
  });
}
