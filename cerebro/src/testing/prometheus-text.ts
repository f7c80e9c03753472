import parsePrometheusTextFormat from "parse-prometheus-text-format";

/** One sample of a Prometheus exposition: a series' name, its labels and its value. */
export interface PrometheusSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * Every sample of a Prometheus text exposition; throws on anything that is
 * not Prometheus text. The parser merges the series of a histogram that has
 * labels besides `le` into one, so the histograms' TYPE lines are left out
 * of the second reading: their `_bucket`, `_sum` and `_count` samples are
 * then read as plain ones, each with its labels.
 */
export function prometheusSamples(text: string): PrometheusSample[] {
  parsePrometheusTextFormat(text);
  return parsePrometheusTextFormat(text.replace(/^# TYPE \S+ histogram$/gm, "")).flatMap((family) =>
    family.metrics.map((metric) => ({
      name: family.name,
      labels: { ...metric.labels },
      value: Number(metric.value),
    })),
  );
}

/** The value of the sample with this name and exactly these labels; 0 when there is none. */
export function sampleValue(
  samples: readonly PrometheusSample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const wanted = labelKey(labels);
  return (
    samples.find((sample) => sample.name === name && labelKey(sample.labels) === wanted)?.value ?? 0
  );
}

function labelKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort());
}
