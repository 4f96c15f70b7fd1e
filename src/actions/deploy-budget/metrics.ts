import { code } from '../../lib/markdown.ts';
import { block, quote } from './chart.ts';
import { formatSeconds, median, percentile } from './stats.ts';

export const DEPLOY_OUTCOMES = ['success', 'failure', 'rolled-back'] as const;
export type DeployOutcome = (typeof DEPLOY_OUTCOMES)[number];

/**
 * What the delivery metrics read from a history record. `at` is when the deploy ended (the
 * budget step measures right after it). `outcome` and `commitAt` are kept by versions that
 * record them; a record without `outcome` was written after a deploy that finished (the budget
 * step ran only then), so it counts as a deploy but not towards the failure rate.
 */
export interface DeliveryRecord {
  at: string;
  sha?: string;
  /** Committer date of the deployed commit (ISO 8601). */
  commitAt?: string;
  outcome?: DeployOutcome;
}

export interface DailyPoint {
  /** UTC day, YYYY-MM-DD. */
  date: string;
  /** Deploys that reached production (not failed, not rolled back). */
  deploys: number;
  failures: number;
}

export interface DeliveryMetrics {
  environment: string;
  windowDays: number;
  /** UTC days of the window the history covers, today included: fewer when it starts inside. */
  coveredDays: number;
  /** Deploys that reached production in the covered days. */
  deploys: number;
  deploysPerDay: number;
  deploysPerWeek: number;
  leadTime?: { medianSeconds: number; p90Seconds: number; samples: number };
  changeFailureRate?: { rate: number; failed: number; judged: number };
  timeToRestore?: { medianSeconds: number; samples: number };
  /** The first failure of a streak no good deploy has ended yet (ISO 8601). */
  failingSince?: string;
  /** Deploys in the window whose outcome was not recorded: left out of the failure rate. */
  unknownOutcome: number;
  /** One point per covered UTC day, oldest first, ending today. */
  trend: DailyPoint[];
}

export const METRICS_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

function failed(record: DeliveryRecord): boolean {
  return record.outcome === 'failure' || record.outcome === 'rolled-back';
}

function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function rounded(value: number, places: number): number {
  const f = 10 ** places;
  return Math.round(value * f) / f;
}

/**
 * The four delivery metrics for one environment over the last `windowDays` (default 30):
 * deployment frequency, lead time for changes (commit to deploy end, median and p90), change
 * failure rate (failed or rolled back, over deploys with a recorded outcome) and time to restore
 * (the first failed deploy of a streak to the next good one, median). A history that starts
 * inside the window (a new adopter, or the read limit) is measured over the days it covers.
 * The window is whole UTC days, today included.
 */
export function deliveryMetrics(
  environment: string,
  records: readonly DeliveryRecord[],
  now: number,
  windowDays = METRICS_WINDOW_DAYS,
): DeliveryMetrics {
  const timed = records
    .map((record, index) => ({ record, ms: Date.parse(record.at), index }))
    .filter((r) => !Number.isNaN(r.ms) && r.ms <= now)
    .sort((a, b) => a.ms - b.ms || a.index - b.index);
  // Whole UTC days, today included: the same days the rates divide by and the chart shows.
  const windowStart = utcDay(now) - (windowDays - 1) * DAY_MS;
  const inWindow = timed.filter((r) => r.ms >= windowStart);
  const oldest = timed[0]?.ms;
  const coverageStart = oldest === undefined ? utcDay(now) : Math.max(windowStart, utcDay(oldest));
  const coveredDays = (utcDay(now) - coverageStart) / DAY_MS + 1;

  const good = inWindow.filter((r) => !failed(r.record));
  const metrics: DeliveryMetrics = {
    environment,
    windowDays,
    coveredDays,
    deploys: good.length,
    deploysPerDay: rounded(good.length / coveredDays, 2),
    deploysPerWeek: rounded((good.length / coveredDays) * 7, 1),
    unknownOutcome: inWindow.filter((r) => r.record.outcome === undefined).length,
    trend: dailyTrend(inWindow, coverageStart, now),
  };

  const leadTimes = good.flatMap(({ record, ms }) => {
    const commit = record.commitAt === undefined ? Number.NaN : Date.parse(record.commitAt);
    return Number.isNaN(commit) || commit > ms ? [] : [(ms - commit) / 1000];
  });
  if (leadTimes.length > 0) {
    metrics.leadTime = {
      medianSeconds: Math.round(median(leadTimes)!),
      p90Seconds: Math.round(percentile(leadTimes, 90)!),
      samples: leadTimes.length,
    };
  }

  const judged = inWindow.filter((r) => r.record.outcome !== undefined);
  if (judged.length > 0) {
    const failures = judged.filter((r) => failed(r.record)).length;
    metrics.changeFailureRate = {
      rate: rounded(failures / judged.length, 4),
      failed: failures,
      judged: judged.length,
    };
  }

  const restores: number[] = [];
  let streakStart: number | undefined;
  for (const { record, ms } of timed) {
    if (failed(record)) streakStart ??= ms;
    else if (streakStart !== undefined) {
      if (ms >= windowStart) restores.push((ms - streakStart) / 1000);
      streakStart = undefined;
    }
  }
  if (restores.length > 0) {
    metrics.timeToRestore = {
      medianSeconds: Math.round(median(restores)!),
      samples: restores.length,
    };
  }
  if (streakStart !== undefined) metrics.failingSince = new Date(streakStart).toISOString();
  return metrics;
}

function dailyTrend(
  records: ReadonlyArray<{ record: DeliveryRecord; ms: number }>,
  from: number,
  now: number,
): DailyPoint[] {
  const points = new Map<number, DailyPoint>();
  for (let day = utcDay(from); day <= utcDay(now); day += DAY_MS) {
    points.set(day, { date: isoDay(day), deploys: 0, failures: 0 });
  }
  for (const { record, ms } of records) {
    const point = points.get(utcDay(ms));
    if (!point) continue;
    if (failed(record)) point.failures++;
    else point.deploys++;
  }
  return [...points.values()];
}

/**
 * The daily trend as a Mermaid chart: deploys that reached production as bars, failed or rolled
 * back ones as a line. Undefined for fewer than two days, where there is no trend to draw.
 */
export function deliveryChart(metrics: DeliveryMetrics): string | undefined {
  const { trend } = metrics;
  if (trend.length < 2) return undefined;
  const peak = Math.max(1, ...trend.map((p) => Math.max(p.deploys, p.failures)));
  return block([
    `title ${quote(`Deploys per day, ${metrics.environment} (last ${trend.length} days)`)}`,
    `x-axis [${trend.map((p) => `"${p.date.slice(5)}"`).join(', ')}]`,
    `y-axis ${quote('deploys')} 0 --> ${peak + 1}`,
    `bar [${trend.map((p) => p.deploys).join(', ')}]`,
    `line [${trend.map((p) => p.failures).join(', ')}]`,
  ]);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function percent(rate: number): string {
  return `${rounded(rate * 100, 1)}%`;
}

/**
 * The metrics as a job summary (or tracking issue) section: one table and the trend chart.
 * A metric the history cannot support says what is missing instead of a number.
 */
export function renderDeliveryMetrics(metrics: DeliveryMetrics): string {
  const days = metrics.coveredDays;
  const over = `over ${days < metrics.windowDays ? `the ${plural(days, 'day')} recorded` : `${metrics.windowDays} days`}`;
  const lead = metrics.leadTime
    ? `${formatSeconds(metrics.leadTime.medianSeconds)} median, ${formatSeconds(metrics.leadTime.p90Seconds)} p90 (${plural(metrics.leadTime.samples, 'deploy')})`
    : 'not recorded: no deploy has its commit time';
  const cfr = metrics.changeFailureRate;
  const failure = cfr
    ? `${percent(cfr.rate)} (${cfr.failed} of ${plural(cfr.judged, 'deploy')} failed or were rolled back)`
    : 'not recorded: no deploy has its outcome';
  const restore = metrics.timeToRestore
    ? `${formatSeconds(metrics.timeToRestore.medianSeconds)} median (${plural(metrics.timeToRestore.samples, 'restore')})`
    : 'no failed deploy followed by a good one';
  const lines = [
    `### Delivery metrics: ${code(metrics.environment)}`,
    '',
    '| Metric | Value |',
    '|---|---|',
    `| Deployment frequency | ${metrics.deploysPerDay} a day, ${metrics.deploysPerWeek} a week (${plural(metrics.deploys, 'deploy')} ${over}) |`,
    `| Lead time for changes | ${lead} |`,
    `| Change failure rate | ${failure} |`,
    `| Time to restore | ${restore} |`,
  ];
  if (metrics.failingSince) {
    lines.push('', `Failing since ${metrics.failingSince}: no good deploy since the last failure.`);
  }
  if (metrics.unknownOutcome > 0 && cfr) {
    lines.push(
      '',
      `${plural(metrics.unknownOutcome, 'deploy')} recorded without an outcome ${metrics.unknownOutcome === 1 ? 'is' : 'are'} left out of the failure rate.`,
    );
  }
  const chart = deliveryChart(metrics);
  if (chart) lines.push('', chart);
  return lines.join('\n');
}
