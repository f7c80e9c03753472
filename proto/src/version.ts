/**
 * The protocol version this contract implements. Bump the minor for additive
 * changes; a new major means a new proto package (cordyna.v2).
 */
export const PROTOCOL_VERSION = { major: 1, minor: 1 } as const;
