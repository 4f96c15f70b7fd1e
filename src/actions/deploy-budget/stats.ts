import { formatDuration } from '../../lib/inputs.ts';
import { findPhase, leafPhases, type Phase, slowestPhase } from './phases.ts';
import type { HistoryRecord } from './record.ts';

/** How many recent deploys (this one included) must agree before a slowdown is a regression. */
export const RECENT = 3;
/** How many deploys the rolling median, the chart and the percentiles look at. */
export const WINDOW = 20;

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile: always a value that was actually observed. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export interface RegressionRules {
  /** Relative slowdown that counts, as a fraction (0.25 for 25 %). */
  threshold: number;
  /** Absolute slowdown that counts, in seconds: 10 % of a 40-second deploy is noise. */
  floorSeconds: number;
  /** Deploys needed before the recent ones for the baseline to mean anything. */
  minSamples: number;
}

export interface RegressionResult {
  regression: boolean;
  /** False when there were too few earlier deploys to judge. */
  judged: boolean;
  baselineSamples: number;
  recentMedian?: number;
  baselineMedian?: number;
  /** One sentence for the summary and the annotation. */
  reason: string;
}

/**
 * A regression is the median of the last RECENT deploys (this one included) above the rolling
 * median of the WINDOW deploys before them by more than the threshold and the floor. The median
 * of three ignores one slow deploy: a sustained slowdown is what is reported.
 */
export function detectRegression(
  previous: readonly number[],
  current: number,
  rules: RegressionRules,
): RegressionResult {
  const recent = [...previous.slice(-(RECENT - 1)), current];
  const baseline = previous.slice(0, Math.max(0, previous.length - (RECENT - 1))).slice(-WINDOW);
  if (baseline.length < rules.minSamples) {
    const reason =
      previous.length === 0
        ? 'no earlier deploys recorded yet: nothing to compare with'
        : `${baseline.length} of the ${rules.minSamples} earlier deploys needed before the last ${RECENT} to judge a regression`;
    return { regression: false, judged: false, baselineSamples: baseline.length, reason };
  }
  const recentMedian = median(recent)!;
  const baselineMedian = median(baseline)!;
  const slower = recentMedian - baselineMedian;
  const regression =
    recentMedian > baselineMedian * (1 + rules.threshold) && slower > rules.floorSeconds;
  const percent = baselineMedian > 0 ? Math.round((slower / baselineMedian) * 100) : undefined;
  const change =
    slower > 0
      ? `${formatDuration(slower * 1000)}${percent === undefined ? '' : ` (${percent}%)`} slower than`
      : slower < 0
        ? `${formatDuration(-slower * 1000)} faster than`
        : 'the same as';
  const reason = `median of the last ${RECENT} deploys (${formatDuration(recentMedian * 1000)}) is ${change} the median of the ${baseline.length} before (${formatDuration(baselineMedian * 1000)})`;
  return {
    regression,
    judged: true,
    baselineSamples: baseline.length,
    recentMedian,
    baselineMedian,
    reason,
  };
}

export interface Breach {
  kind: 'deploy' | 'phase' | 'image';
  /** The phase name for `phase`. */
  name?: string;
  actual: number;
  limit: number;
}

export interface Growth {
  name: string;
  current: number;
  median: number;
  delta: number;
}

export interface VerdictInput {
  durationSeconds: number;
  budgetSeconds: number;
  phases: readonly Phase[];
  phaseBudgets: ReadonlyArray<{ phase: string; seconds: number }>;
  imageBytes?: number;
  imageBudgetBytes?: number;
  /** Earlier deploys, oldest first, without this one. */
  previous: readonly HistoryRecord[];
  rules: RegressionRules;
}

export interface Verdict {
  overBudget: boolean;
  breaches: Breach[];
  /** `phase-budgets` keys that no measured phase matches. */
  unmatchedPhaseBudgets: string[];
  regression: RegressionResult;
  /** Over budget or regressed: what `on-exceeded` acts on. */
  exceeded: boolean;
  /** Over the last WINDOW deploys, this one included. */
  medianSeconds: number;
  p90Seconds: number;
  slowest?: Phase;
  /** The phase that grew most over its own median in earlier deploys, if any grew. */
  phaseGrowth?: Growth;
  /** This image against the median size of earlier deploys' images. */
  imageGrowth?: Growth;
}

/** The phase that grew most, in seconds, over its median across the earlier deploys. */
export function phaseGrowth(
  phases: readonly Phase[],
  previous: readonly HistoryRecord[],
): Growth | undefined {
  let best: Growth | undefined;
  for (const phase of leafPhases(phases)) {
    const earlier = previous
      .slice(-WINDOW)
      .map((r) => r.phases?.[phase.name])
      .filter((s) => s !== undefined);
    const typical = median(earlier);
    if (typical === undefined) continue;
    const delta = phase.seconds - typical;
    if (delta > 0 && (!best || delta > best.delta)) {
      best = { name: phase.name, current: phase.seconds, median: typical, delta };
    }
  }
  return best;
}

export function imageGrowth(
  imageBytes: number | undefined,
  previous: readonly HistoryRecord[],
): Growth | undefined {
  if (imageBytes === undefined) return undefined;
  const sizes = previous
    .slice(-WINDOW)
    .map((r) => r.imageBytes)
    .filter((b) => b !== undefined);
  const typical = median(sizes);
  if (typical === undefined) return undefined;
  return { name: 'image', current: imageBytes, median: typical, delta: imageBytes - typical };
}

export function judge(input: VerdictInput): Verdict {
  const breaches: Breach[] = [];
  if (input.durationSeconds > input.budgetSeconds) {
    breaches.push({ kind: 'deploy', actual: input.durationSeconds, limit: input.budgetSeconds });
  }
  const unmatchedPhaseBudgets: string[] = [];
  for (const { phase: key, seconds } of input.phaseBudgets) {
    const phase = findPhase(input.phases, key);
    if (!phase) unmatchedPhaseBudgets.push(key);
    else if (phase.seconds > seconds) {
      breaches.push({ kind: 'phase', name: phase.name, actual: phase.seconds, limit: seconds });
    }
  }
  if (
    input.imageBytes !== undefined &&
    input.imageBudgetBytes !== undefined &&
    input.imageBytes > input.imageBudgetBytes
  ) {
    breaches.push({ kind: 'image', actual: input.imageBytes, limit: input.imageBudgetBytes });
  }
  const earlier = input.previous.map((r) => r.durationSeconds);
  const regression = detectRegression(earlier, input.durationSeconds, input.rules);
  const window = [...earlier.slice(-(WINDOW - 1)), input.durationSeconds];
  const verdict: Verdict = {
    overBudget: breaches.length > 0,
    breaches,
    unmatchedPhaseBudgets,
    regression,
    exceeded: breaches.length > 0 || regression.regression,
    medianSeconds: median(window)!,
    p90Seconds: percentile(window, 90)!,
  };
  const slowest = slowestPhase(input.phases);
  if (slowest) verdict.slowest = slowest;
  const grewPhase = phaseGrowth(input.phases, input.previous);
  if (grewPhase) verdict.phaseGrowth = grewPhase;
  const grewImage = imageGrowth(input.imageBytes, input.previous);
  if (grewImage) verdict.imageGrowth = grewImage;
  return verdict;
}

const SIZE_STEPS: Array<[number, string]> = [
  [1e9, 'GB'],
  [1e6, 'MB'],
  [1e3, 'kB'],
];

/** Decimal units, as `image-budget` reads them (300MB = 300,000,000 bytes). */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  const abs = Math.abs(bytes);
  for (const [size, unit] of SIZE_STEPS) {
    if (abs >= size) return `${sign}${(abs / size).toFixed(1).replace(/\.0$/, '')} ${unit}`;
  }
  return `${sign}${abs} B`;
}

export function formatSeconds(seconds: number): string {
  // formatDuration shows sub-second values in ms; "0ms" for an unchanged phase reads oddly.
  return seconds === 0 ? '0s' : formatDuration(seconds * 1000);
}

/** One line per breach, for annotations and the tracking issue. */
export function describeBreach(breach: Breach): string {
  if (breach.kind === 'image') {
    return `image is ${formatBytes(breach.actual)}, over its ${formatBytes(breach.limit)} budget by ${formatBytes(breach.actual - breach.limit)}`;
  }
  const what = breach.kind === 'deploy' ? 'deploy' : `phase '${breach.name}'`;
  return `${what} took ${formatSeconds(breach.actual)}, over its ${formatSeconds(breach.limit)} budget by ${formatSeconds(breach.actual - breach.limit)}`;
}
