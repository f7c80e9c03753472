/** The label value every value past a LabelCap's limit is counted under. */
export const OTHER_LABEL_VALUE = "other";

/**
 * Bounds the values one label takes. Team and server names come from the
 * network, and each new value of a label is a new time series in every
 * scraper: the first `limit` values seen are kept as they are, for as long
 * as cerebro runs (a series never changes its name), and every later one is
 * counted as "other".
 */
export class LabelCap {
  readonly #limit: number;
  readonly #kept = new Set<string>();
  readonly #onFull: () => void;
  #full = false;

  /** `onFull` is called once, when the first value is folded into "other". */
  constructor(limit: number, onFull: () => void = () => {}) {
    this.#limit = limit;
    this.#onFull = onFull;
  }

  /** The value to label with: `value` itself, or "other" once the limit is reached. */
  value(value: string): string {
    if (this.#kept.has(value)) return value;
    if (this.#kept.size < this.#limit) {
      this.#kept.add(value);
      return value;
    }
    if (!this.#full) {
      this.#full = true;
      this.#onFull();
    }
    return OTHER_LABEL_VALUE;
  }
}
