import { defineConfig } from "vitest/config";
import { sourceConditions } from "../../vitest.config.js";

// The interop suite alone: it needs every language's example built first
// (scripts/build-examples.sh), so `npm test` leaves it out.
export default defineConfig({
  ...sourceConditions,
  test: {
    include: ["test/interop/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
