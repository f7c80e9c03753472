/**
 * The closed set of error codes, mirroring gRPC status codes so that the RPC
 * layer maps them one to one.
 */
export const ErrorCode = {
  INVALID_ARGUMENT: "INVALID_ARGUMENT",
  NOT_FOUND: "NOT_FOUND",
  ALREADY_EXISTS: "ALREADY_EXISTS",
  FAILED_PRECONDITION: "FAILED_PRECONDITION",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  PERMISSION_DENIED: "PERMISSION_DENIED",
  RESOURCE_EXHAUSTED: "RESOURCE_EXHAUSTED",
  UNAVAILABLE: "UNAVAILABLE",
  INTERNAL: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Every error cerebro reports to a caller. Its message starts with the code. */
export class CordynaError extends Error {
  override readonly name = "CordynaError";
  readonly code: ErrorCode;
  readonly rawMessage: string;

  constructor(code: ErrorCode, message: string) {
    super(`[${code}] ${message}`);
    this.code = code;
    this.rawMessage = message;
  }

  /** Turns anything caught into a CordynaError (INTERNAL unless it already is one). */
  static from(reason: unknown): CordynaError {
    if (reason instanceof CordynaError) return reason;
    const message = reason instanceof Error ? reason.message : String(reason);
    return new CordynaError(ErrorCode.INTERNAL, message);
  }
}
