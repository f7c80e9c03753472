// What cerebro's health check says about the cerebro that answers.

/**
 * Response headers of cerebro's health check that say which cerebro
 * answers: a health check needs no credential, so any client may ask.
 */
export const VERSION_HEADERS = {
  version: "cordyna-version",
  protocol: "cordyna-protocol",
} as const;
