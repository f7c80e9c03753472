// Which cerebro this is: its package's version.

import cerebroPackage from "../package.json" with { type: "json" };

/** This cerebro's version, from its package.json. */
export const CEREBRO_VERSION: string = cerebroPackage.version;
