import type { Message } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { resetCall } from "./call-context.js";
import { Outbound } from "./outbound.js";
import { HealthService, messageOf } from "./standard-services.js";

/** grpc.health.v1's serving statuses. */
const SERVING = 1;
const NOT_SERVING = 2;
const SERVICE_UNKNOWN = 3;

/** Status changes one Watch may leave unread before it is closed. */
const WATCH_BUFFER_BYTES = 64 * 1024;

/**
 * The standard health service: "" (the server as a whole) and each of
 * cerebro's services are SERVING until cerebro stops.
 */
export class Health {
  readonly #statuses = new Map<string, number>();
  readonly #watchers = new Set<() => void>();
  readonly #headers: Readonly<Record<string, string>>;

  /**
   * @param headers sent with every answer, e.g. which cerebro answers: a
   *   health check needs no credential, so any client may ask
   */
  constructor(serviceNames: readonly string[], headers: Readonly<Record<string, string>> = {}) {
    for (const name of ["", ...serviceNames]) this.#statuses.set(name, SERVING);
    this.#headers = headers;
  }

  /** Every service turns NOT_SERVING, and watchers hear of it. */
  stopServing(): void {
    for (const name of this.#statuses.keys()) this.#statuses.set(name, NOT_SERVING);
    for (const notify of this.#watchers) notify();
  }

  register(router: ConnectRouter): void {
    const answering = (context: HandlerContext): void => {
      for (const [name, value] of Object.entries(this.#headers)) {
        context.responseHeader.set(name, value);
      }
    };
    router.service(HealthService, {
      check: async (request: Message, context: HandlerContext) => {
        answering(context);
        const status = this.#statuses.get(serviceOf(request));
        if (status === undefined) {
          throw new ConnectError(`unknown service "${serviceOf(request)}"`, Code.NotFound);
        }
        return statusMessage(status);
      },
      watch: (request: Message, context: HandlerContext) => {
        answering(context);
        return this.#watch(serviceOf(request), context);
      },
      list: async (_request: Message, context: HandlerContext) => {
        answering(context);
        const statuses: Record<string, Message> = {};
        for (const [name, status] of this.#statuses) statuses[name] = statusMessage(status);
        return messageOf(HealthService, "List", "output", { statuses });
      },
    } as never);
  }

  /** The service's status now, then each change, until the caller goes. */
  async *#watch(service: string, context: HandlerContext): AsyncGenerator<Message> {
    const outbound = new Outbound<Message>(
      { maxBufferedBytes: WATCH_BUFFER_BYTES, sizeOf: () => 16, what: "the health watch" },
      () => resetCall(context),
    );
    let last: number | undefined;
    const notify = (): void => {
      const status = this.#statuses.get(service) ?? SERVICE_UNKNOWN;
      if (status !== last) outbound.push(statusMessage(status));
      last = status;
    };
    this.#watchers.add(notify);
    notify();
    try {
      yield* outbound.messages(context.signal);
    } finally {
      this.#watchers.delete(notify);
    }
  }
}

function serviceOf(request: Message): string {
  return (request as unknown as { service: string }).service;
}

function statusMessage(status: number): Message {
  return messageOf(HealthService, "Check", "output", { status });
}
