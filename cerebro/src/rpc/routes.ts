import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import {
  AccessService,
  ControlService,
  PROTOCOL_VERSION_TEXT,
  TaskServerService,
  VERSION_HEADERS,
} from "@cordyna/contract";
import { CEREBRO_VERSION } from "../version.js";
import { Health } from "./health.js";
import { registerReflection } from "./reflection.js";
import { HealthService, ReflectionServices } from "./standard-services.js";

/** Cerebro's services, and the standard ones beside them. */
export interface CerebroRoutes {
  readonly routes: (router: ConnectRouter) => void;
  /** Reported SERVING until cerebro stops. */
  readonly health: Health;
}

export function cerebroRoutes(handlers: {
  readonly taskServer: ServiceImpl<typeof TaskServerService>;
  readonly control: ServiceImpl<typeof ControlService>;
  readonly access: ServiceImpl<typeof AccessService>;
}): CerebroRoutes {
  const health = new Health(
    [TaskServerService.typeName, ControlService.typeName, AccessService.typeName],
    {
      [VERSION_HEADERS.version]: CEREBRO_VERSION,
      [VERSION_HEADERS.protocol]: PROTOCOL_VERSION_TEXT,
    },
  );
  return {
    health,
    routes(router) {
      router.service(TaskServerService, handlers.taskServer);
      router.service(ControlService, handlers.control);
      router.service(AccessService, handlers.access);
      health.register(router);
      registerReflection(router, [
        TaskServerService,
        ControlService,
        AccessService,
        HealthService,
        ...ReflectionServices,
      ]);
    },
  };
}
