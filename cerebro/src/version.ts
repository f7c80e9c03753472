// Which cerebro this is: its package's version and the protocol it speaks.

import { PROTOCOL_VERSION } from "@cordyna/contract";
import cerebroPackage from "../package.json" with { type: "json" };

/** This cerebro's version, from its package.json. */
export const CEREBRO_VERSION: string = cerebroPackage.version;

/** The task-server protocol this cerebro speaks, "major.minor". */
export const PROTOCOL = `${PROTOCOL_VERSION.major}.${PROTOCOL_VERSION.minor}`;

/**
 * Response headers of cerebro's health check that say which cerebro
 * answers: a health check needs no credential, so any client may ask.
 */
export const VERSION_HEADERS = {
  version: "cordyna-version",
  protocol: "cordyna-protocol",
} as const;
