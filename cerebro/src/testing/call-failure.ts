import { type Code, ConnectError } from "@connectrpc/connect";

/** The status code and message a call failed with; throws if it succeeded. */
export async function failureOf(call: Promise<unknown>): Promise<[Code, string]> {
  try {
    await call;
  } catch (error) {
    const connectError = ConnectError.from(error);
    return [connectError.code, connectError.rawMessage];
  }
  throw new Error("the call succeeded");
}
