// Types for parse-prometheus-text-format, which ships none: the shape of its
// output, as its README documents it (prom2json's).
declare module "parse-prometheus-text-format" {
  export interface MetricSample {
    readonly labels?: Readonly<Record<string, string>>;
    /** Counters, gauges and untyped samples. */
    readonly value?: string;
    /** Histograms and summaries. */
    readonly count?: string;
    readonly sum?: string;
    readonly buckets?: Readonly<Record<string, string>>;
  }
  export interface MetricFamily {
    readonly name: string;
    readonly help: string;
    readonly type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    readonly metrics: readonly MetricSample[];
  }
  /** Parses Prometheus text; throws on a line that is not valid. */
  export default function parsePrometheusTextFormat(text: string): MetricFamily[];
}
