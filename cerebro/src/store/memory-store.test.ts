import { it } from "vitest";
import { describeAccessStoreContract, expectAuditCapacity } from "./access-store-contract.js";
import { MemoryAccessStore } from "./memory-access-store.js";
import { MemoryStore } from "./memory-store.js";
import { describeNotificationStoreContract } from "./notification-store-contract.js";
import { describeStoreContract } from "./store-contract.js";

describeStoreContract("MemoryStore", async () => new MemoryStore());

describeAccessStoreContract("MemoryStore", async () => new MemoryStore());
describeNotificationStoreContract("MemoryStore", async () => new MemoryStore());

it("the in-memory audit trail keeps its newest entries", async () => {
  await expectAuditCapacity(new MemoryAccessStore(50), 50);
});
