import { defineConfig } from "vitest/config";

// Our packages export their TypeScript sources under "@cordyna/source" (their
// builds everywhere else); .npmrc passes it to every process npm starts. The
// others are Vite's for server code, which a list of our own replaces.
export const sourceConditions = {
  ssr: { resolve: { conditions: ["@cordyna/source", "node", "development|production"] } },
};

export default defineConfig({
  ...sourceConditions,
  test: {
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**", "clients/**", "test/interop/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    globalSetup: ["test/setup/redis.global.ts"],
  },
});
