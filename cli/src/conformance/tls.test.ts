import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { withKitTls } from "./tls.js";

const INHERITED = {
  PATH: "/bin",
  CORDYNA_TLS: "on",
  CORDYNA_TLS_CA: "/elsewhere/ca.pem",
  CORDYNA_TLS_CLIENT_CERT: "/elsewhere/client.pem",
  CORDYNA_TLS_CLIENT_KEY: "/elsewhere/client.key",
};

describe("the implementation's TLS variables", () => {
  it("are dropped when the kit serves plaintext, so that it does not dial it over TLS", () => {
    expect(withKitTls(INHERITED, undefined)).toEqual({ PATH: "/bin" });
  });

  it("name the kit's files, as absolute paths, in place of inherited ones", () => {
    const server = { certFile: "kit.pem", keyFile: "kit.key" };
    expect(withKitTls(INHERITED, { server })).toEqual({ PATH: "/bin", CORDYNA_TLS: "on" });
    expect(
      withKitTls(INHERITED, {
        server,
        caFile: "ca.pem",
        client: { certFile: "client.pem", keyFile: "client.key" },
      }),
    ).toEqual({
      PATH: "/bin",
      CORDYNA_TLS: "on",
      CORDYNA_TLS_CA: resolve("ca.pem"),
      CORDYNA_TLS_CLIENT_CERT: resolve("client.pem"),
      CORDYNA_TLS_CLIENT_KEY: resolve("client.key"),
    });
  });
});
