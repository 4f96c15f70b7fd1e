import { text } from '../../lib/markdown.ts';
import { formatBytes, formatSeconds } from './stats.ts';

/** A stretch of time AWS recorded, with where a user finds it (API field, service event). */
export interface Span {
  /** Epoch ms. */
  start: number;
  end: number;
  source: string;
}

/** A new task of the deployment, as DescribeTasks reported it (epoch ms). */
export interface RecordedTask {
  id: string;
  createdAt?: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
}

/** DescribeTargetGroups and DescribeTargetGroupAttributes, as far as they could be read. */
export interface TargetGroupSettings {
  name: string;
  healthCheckIntervalSeconds?: number;
  healthCheckTimeoutSeconds?: number;
  healthyThresholdCount?: number;
  deregistrationDelaySeconds?: number;
}

/** A container's `healthCheck` in the task definition, with ECS's defaults filled in. */
export interface ContainerHealthCheck {
  container: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  startPeriodSeconds: number;
}

export interface TrafficShifting {
  /** Where the setting lives: `deployment config CodeDeployDefault.ECSCanary10Percent15Minutes`. */
  setting: string;
  kind: 'canary' | 'linear' | 'all-at-once';
  percentage?: number;
  intervalMinutes?: number;
  /** While production traffic moved (CodeDeploy's AllowTraffic event). */
  span?: Span;
}

export interface SettingWait {
  /** Where the setting lives, e.g. `deployment group DgpECS-prod-web`. */
  setting: string;
  minutes: number;
  /** The wait as it happened; absent when it did not happen while AWS was watched. */
  span?: Span;
}

/**
 * What AWS recorded about one deploy, and the settings that shape it. Anything that could not be
 * read is absent (and explained in `notes`): the attribution never fills a gap with a guess.
 */
export interface RecordedTimeline {
  /** The deploy on AWS (epoch ms): from the deployment's creation to the end of the wait for it. */
  window: { start: number; end: number };
  /** The deployment's new tasks. */
  tasks: RecordedTask[];
  /** Compressed size (ECR `imageSizeInBytes`) of every image the new tasks pull, when all are known. */
  imageBytes?: number;
  /** The essential container's health check that is slowest to pass, if any has one. */
  containerHealthCheck?: ContainerHealthCheck;
  /** The target group the new tasks register in. */
  newTargetGroup?: TargetGroupSettings;
  /** The target group the old tasks drain from. */
  oldTargetGroup?: TargetGroupSettings;
  /** An ECS rolling update's batch settings. */
  rolling?: { desiredCount: number; minimumHealthyPercent: number; maximumPercent: number };
  /** When every new task was healthy, and which record says so. */
  healthy?: { at: number; source: string };
  /** Old tasks draining from their target group; undefined when nothing could tell. */
  drains?: Span[];
  trafficShifting?: TrafficShifting;
  /** CodeDeploy's wait before terminating the original task set. */
  terminationWait?: SettingWait;
  /** ECS native blue/green: how long the old revision is kept after the traffic shift. */
  bakeTime?: SettingWait;
  /** Reads that failed and what their absence costs, one line each. */
  notes: string[];
}

export type CauseId =
  | 'deregistration-delay'
  | 'termination-wait'
  | 'bake-time'
  | 'traffic-shifting'
  | 'image-pull'
  | 'provisioning'
  | 'container-start'
  | 'health-checks'
  | 'rolling-batches';

export interface Cause {
  id: CauseId;
  cause: string;
  /** Seconds of the deploy spent here; undefined when the setting is known but AWS did not record the time. */
  seconds?: number;
  /** Where the seconds come from, or why they are unknown. */
  measured: string;
  /** The setting that drives it and where it lives. */
  setting?: string;
  value?: string;
  /** Advice only: the action never changes a setting. */
  suggestion?: string;
  savesSeconds?: number;
}

export interface Attribution {
  windowSeconds: number;
  /** Ranked: most seconds first, unknown ones last. */
  causes: Cause[];
  /** Seconds no recorded cause explains. */
  otherSeconds: number;
  notes: string[];
}

/** A saving below this is noise next to the run-to-run variation of a deploy. */
export const MIN_SAVING_SECONDS = 10;
/** Long enough for most HTTP services to finish their in-flight requests. */
export const DRAIN_TARGET_SECONDS = 30;
/** ALB's smallest healthy threshold. */
const HEALTHY_THRESHOLD_TARGET = 2;
const HEALTH_INTERVAL_TARGET_SECONDS = 10;
const CANARY_TARGET_MINUTES = 5;
const LINEAR_TARGET_MINUTES = 1;
const TERMINATION_TARGET_MINUTES = 5;

// Claimed in this order: a span AWS recorded for one setting (a drain, a wait) is more specific
// than the task-level spans it may overlap, and each second is attributed once.
const PRECEDENCE: readonly CauseId[] = [
  'deregistration-delay',
  'termination-wait',
  'bake-time',
  'traffic-shifting',
  'image-pull',
  'provisioning',
  'container-start',
  'health-checks',
  'rolling-batches',
];

type Interval = [number, number];

function clip(intervals: readonly Interval[], window: Interval): Interval[] {
  return intervals
    .map(([a, b]): Interval => [Math.max(a, window[0]), Math.min(b, window[1])])
    .filter(([a, b]) => b > a);
}

/** `intervals` minus everything in `taken`, both as lists of disjoint-or-not intervals. */
function subtract(intervals: readonly Interval[], taken: readonly Interval[]): Interval[] {
  let rest = [...intervals];
  for (const [ta, tb] of taken) {
    rest = rest.flatMap(([a, b]): Interval[] => {
      if (tb <= a || ta >= b) return [[a, b]];
      const parts: Interval[] = [];
      if (ta > a) parts.push([a, ta]);
      if (tb < b) parts.push([tb, b]);
      return parts;
    });
  }
  return rest;
}

function union(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((x, y) => x[0] - y[0]);
  const merged: Interval[] = [];
  for (const [a, b] of sorted) {
    const last = merged.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged;
}

function totalMs(intervals: readonly Interval[]): number {
  return union(intervals).reduce((sum, [a, b]) => sum + (b - a), 0);
}

function tenths(ms: number): number {
  return Math.round(ms / 100) / 10;
}

function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)}Z`;
}

function taskSpan(task: RecordedTask, from: keyof RecordedTask, to: keyof RecordedTask) {
  const start = task[from];
  const end = task[to];
  if (typeof start !== 'number' || typeof end !== 'number' || end < start) return undefined;
  return {
    interval: [start, end] as Interval,
    measured: `DescribeTasks, task ${task.id}: ${from} ${clock(start)} → ${to} ${clock(end)}`,
  };
}

/** The new task that started last: the deploy waits for it, so its steps are on the critical path. */
function criticalTask(tasks: readonly RecordedTask[]): RecordedTask | undefined {
  let last: RecordedTask | undefined;
  for (const task of tasks) {
    if (task.startedAt === undefined) continue;
    if (!last || task.startedAt > (last.startedAt ?? 0)) last = task;
  }
  return last;
}

/**
 * How many waves an ECS rolling update needs: maximumPercent caps running tasks at
 * ⌊N·max/100⌋ and minimumHealthyPercent keeps ⌈N·min/100⌉ healthy, so each wave replaces the
 * difference. Undefined when the settings allow no progress at all.
 */
export function rollingWaves(
  rolling: NonNullable<RecordedTimeline['rolling']>,
): number | undefined {
  const { desiredCount: n, minimumHealthyPercent: min, maximumPercent: max } = rolling;
  if (n <= 0) return 0;
  const perWave = Math.floor((n * max) / 100) - Math.ceil((n * min) / 100);
  return perWave > 0 ? Math.ceil(n / perWave) : undefined;
}

/** Seconds a target group needs to call a new target healthy: one check per interval, threshold in a row. */
function targetGroupFloor(tg: TargetGroupSettings | undefined): number | undefined {
  if (tg?.healthCheckIntervalSeconds === undefined || tg.healthyThresholdCount === undefined) {
    return undefined;
  }
  return tg.healthCheckIntervalSeconds * tg.healthyThresholdCount;
}

interface Candidate {
  cause: Omit<Cause, 'seconds' | 'savesSeconds'>;
  intervals: Interval[];
  /** Seconds saved by the suggestion, given the seconds this cause was attributed. */
  saving?: (seconds: number) => number;
}

function saves(seconds: number): string {
  return `saves ~${formatSeconds(Math.round(seconds))}`;
}

function drainCandidate(t: RecordedTimeline): Candidate | undefined {
  const tg = t.oldTargetGroup;
  const delay = tg?.deregistrationDelaySeconds;
  if (!t.drains || t.drains.length === 0) return undefined;
  const cause: Candidate['cause'] = {
    id: 'deregistration-delay',
    cause: 'Old tasks draining (deregistration delay)',
    measured: t.drains.map((d) => d.source).join('; '),
  };
  if (tg && delay !== undefined) {
    cause.setting = `deregistration_delay.timeout_seconds on target group ${tg.name}`;
    cause.value = `${delay} s`;
  }
  const candidate: Candidate = { cause, intervals: t.drains.map((d) => [d.start, d.end]) };
  if (delay !== undefined && delay > DRAIN_TARGET_SECONDS) {
    candidate.saving = (seconds) => Math.max(0, seconds - DRAIN_TARGET_SECONDS);
    cause.suggestion = `deregistration delay ${delay} s → ${DRAIN_TARGET_SECONDS} s {saves}; does your app finish its in-flight requests within ${DRAIN_TARGET_SECONDS} s?`;
  }
  return candidate;
}

function terminationCandidate(t: RecordedTimeline): Candidate | undefined {
  const wait = t.terminationWait;
  if (!wait?.span) return undefined;
  const cause: Candidate['cause'] = {
    id: 'termination-wait',
    cause: 'Original task set kept before termination',
    measured: wait.span.source,
    setting: `terminationWaitTimeInMinutes on ${wait.setting}`,
    value: `${wait.minutes} min`,
    suggestion:
      'wait-until: deployed {saves}: the pipeline stops waiting once production traffic is on the new tasks, while CodeDeploy still keeps the original task set for a rollback' +
      (wait.minutes > TERMINATION_TARGET_MINUTES
        ? `; or a ${TERMINATION_TARGET_MINUTES}-minute termination wait, if a rollback after that is rare`
        : ''),
  };
  return { cause, intervals: [[wait.span.start, wait.span.end]], saving: (seconds) => seconds };
}

function bakeCandidate(t: RecordedTimeline): Candidate | undefined {
  const bake = t.bakeTime;
  if (!bake?.span) return undefined;
  const cause: Candidate['cause'] = {
    id: 'bake-time',
    cause: 'Bake time before the old revision is removed',
    measured: bake.span.source,
    setting: `bakeTimeInMinutes on ${bake.setting}`,
    value: `${bake.minutes} min`,
    suggestion:
      'wait-until: deployed {saves}: the pipeline stops waiting once production traffic is on the new revision, while ECS still keeps the old one for a rollback during the bake',
  };
  return { cause, intervals: [[bake.span.start, bake.span.end]], saving: (seconds) => seconds };
}

function shiftingCandidate(t: RecordedTimeline): Candidate | undefined {
  const shift = t.trafficShifting;
  if (!shift?.span) return undefined;
  const cause: Candidate['cause'] = {
    id: 'traffic-shifting',
    cause: 'Production traffic shifting',
    measured: shift.span.source,
    setting: shift.setting,
  };
  const candidate: Candidate = { cause, intervals: [[shift.span.start, shift.span.end]] };
  const { percentage: p, intervalMinutes: every } = shift;
  if (shift.kind === 'all-at-once' || p === undefined || every === undefined) {
    cause.value = 'all at once';
    return candidate;
  }
  if (shift.kind === 'canary') {
    cause.value = `${p}% first, the rest after ${every} min`;
    if (every > CANARY_TARGET_MINUTES) {
      const gone = (every - CANARY_TARGET_MINUTES) * 60;
      candidate.saving = (seconds) => Math.min(seconds, gone);
      cause.suggestion = `a ${CANARY_TARGET_MINUTES}-minute canary {saves}, if your alarms catch a bad release on ${p}% of the traffic within ${CANARY_TARGET_MINUTES} minutes`;
    }
    return candidate;
  }
  const steps = Math.ceil(100 / p) - 1;
  cause.value = `${p}% every ${every} min (${steps} waits)`;
  if (every > LINEAR_TARGET_MINUTES && steps > 0) {
    const gone = steps * (every - LINEAR_TARGET_MINUTES) * 60;
    candidate.saving = (seconds) => Math.min(seconds, gone);
    cause.suggestion = `${p}% every ${LINEAR_TARGET_MINUTES} min {saves}, if your alarms react within a minute of each step`;
  }
  return candidate;
}

function taskCandidates(t: RecordedTimeline): Candidate[] {
  const task = criticalTask(t.tasks);
  if (!task) return [];
  const candidates: Candidate[] = [];
  const provisioning = taskSpan(task, 'createdAt', 'pullStartedAt');
  if (provisioning) {
    candidates.push({
      cause: {
        id: 'provisioning',
        cause: 'Task provisioning (Fargate capacity, network interface)',
        measured: provisioning.measured,
      },
      intervals: [provisioning.interval],
    });
  }
  const pull = taskSpan(task, 'pullStartedAt', 'pullStoppedAt');
  if (pull) {
    const cause: Candidate['cause'] = {
      id: 'image-pull',
      cause: 'Image pull',
      measured: pull.measured,
      setting: 'image size (compressed, ECR imageSizeInBytes)',
    };
    const candidate: Candidate = { cause, intervals: [pull.interval] };
    const pullSeconds = (pull.interval[1] - pull.interval[0]) / 1000;
    if (t.imageBytes === undefined) {
      cause.value = 'unknown';
    } else if (pullSeconds > 0) {
      const rate = t.imageBytes / pullSeconds;
      cause.value = `${formatBytes(t.imageBytes)}, pulled at ${formatBytes(rate)}/s`;
      candidate.saving = (seconds) => seconds / 2;
      cause.suggestion = `an image half the size {saves} at this rate (each 100 MB less ~${formatSeconds(Math.round(1e9 / rate) / 10)}): a multi-stage build or a slimmer base image`;
    } else {
      cause.value = formatBytes(t.imageBytes);
    }
    candidates.push(candidate);
  }
  const start = taskSpan(task, 'pullStoppedAt', 'startedAt');
  if (start) {
    candidates.push({
      cause: { id: 'container-start', cause: 'Container start', measured: start.measured },
      intervals: [start.interval],
    });
  }
  const health = healthCandidate(t, task);
  if (health) candidates.push(health);
  const batches = batchCandidate(t, task);
  if (batches) candidates.push(batches);
  return candidates;
}

function healthSettings(t: RecordedTimeline) {
  const tg = t.newTargetGroup;
  const tgFloor = targetGroupFloor(tg);
  const check = t.containerHealthCheck;
  // Docker runs a container's first health check one interval after the container starts.
  const containerFloor = check?.intervalSeconds;
  const parts: string[] = [];
  if (tg && tgFloor !== undefined) {
    parts.push(
      `target group ${tg.name}: every ${tg.healthCheckIntervalSeconds} s, ${tg.healthyThresholdCount} healthy in a row (~${formatSeconds(tgFloor)})`,
    );
  }
  if (check) {
    parts.push(
      `container ${check.container}: first check after its ${check.intervalSeconds} s interval`,
    );
  }
  if (parts.length === 0) return undefined;
  const floor = Math.max(tgFloor ?? 0, containerFloor ?? 0);
  const changes: string[] = [];
  let newTg = tgFloor ?? 0;
  if (tg && tgFloor !== undefined) {
    const interval = tg.healthCheckIntervalSeconds!;
    const threshold = tg.healthyThresholdCount!;
    // ALB refuses a timeout that is not below the interval.
    const targetInterval = Math.min(
      interval,
      Math.max(HEALTH_INTERVAL_TARGET_SECONDS, (tg.healthCheckTimeoutSeconds ?? 0) + 1),
    );
    const targetThreshold = Math.min(threshold, HEALTHY_THRESHOLD_TARGET);
    newTg = targetInterval * targetThreshold;
    if (targetInterval < interval) changes.push(`interval ${interval} s → ${targetInterval} s`);
    if (targetThreshold < threshold) {
      changes.push(`healthy threshold ${threshold} → ${targetThreshold}`);
    }
  }
  let newContainer = containerFloor ?? 0;
  if (check && check.intervalSeconds > HEALTH_INTERVAL_TARGET_SECONDS) {
    newContainer = HEALTH_INTERVAL_TARGET_SECONDS;
    changes.push(
      `container ${check.container} interval ${check.intervalSeconds} s → ${HEALTH_INTERVAL_TARGET_SECONDS} s`,
    );
  }
  return { value: parts.join('; '), floor, newFloor: Math.max(newTg, newContainer), changes };
}

function healthCandidate(t: RecordedTimeline, task: RecordedTask): Candidate | undefined {
  const settings = healthSettings(t);
  const healthy = t.healthy;
  if (!healthy || task.startedAt === undefined || healthy.at < task.startedAt) return undefined;
  const cause: Candidate['cause'] = {
    id: 'health-checks',
    cause: 'Health checks until the new tasks are healthy',
    measured: `task ${task.id} startedAt ${clock(task.startedAt)} → ${healthy.source} ${clock(healthy.at)}`,
  };
  const candidate: Candidate = { cause, intervals: [[task.startedAt, healthy.at]] };
  if (!settings) return candidate;
  cause.setting = 'health checks';
  cause.value = settings.value;
  if (settings.changes.length > 0 && settings.floor > settings.newFloor) {
    const { floor, newFloor } = settings;
    candidate.saving = (seconds) => Math.max(0, Math.min(seconds, floor) - newFloor);
    cause.suggestion = `${settings.changes.join(', ')} {saves}; faster checks also catch a slow-to-start task sooner`;
  }
  return candidate;
}

function batchCandidate(t: RecordedTimeline, last: RecordedTask): Candidate | undefined {
  if (!t.rolling || last.createdAt === undefined) return undefined;
  const waves = rollingWaves(t.rolling);
  if (waves === undefined || waves < 2) return undefined;
  const created = t.tasks.map((task) => task.createdAt).filter((at) => at !== undefined);
  const first = Math.min(...created);
  if (!(last.createdAt > first)) return undefined;
  const { desiredCount: n, minimumHealthyPercent: min, maximumPercent: max } = t.rolling;
  return {
    cause: {
      id: 'rolling-batches',
      cause: `Earlier waves of the rolling update (${waves} waves)`,
      measured: `DescribeTasks: first new task createdAt ${clock(first)} → last new task ${last.id} createdAt ${clock(last.createdAt)}`,
      setting: 'deploymentConfiguration minimumHealthyPercent / maximumPercent',
      value: `${min}% / ${max}% of ${n} tasks`,
      suggestion: `maximumPercent ${max} → 200 {saves}: all ${n} new tasks start in one wave (needs room for twice the tasks while deploying)`,
    },
    intervals: [[first, last.createdAt]],
    saving: (seconds) => seconds,
  };
}

/** Causes whose setting is known but whose time AWS did not record: named, never measured. */
function unknownCauses(t: RecordedTimeline, claimed: ReadonlySet<CauseId>): Cause[] {
  const unknown: Cause[] = [];
  const delay = t.oldTargetGroup?.deregistrationDelaySeconds;
  if (
    !claimed.has('deregistration-delay') &&
    t.drains === undefined &&
    delay !== undefined &&
    delay > DRAIN_TARGET_SECONDS
  ) {
    unknown.push({
      id: 'deregistration-delay',
      cause: 'Old tasks draining (deregistration delay)',
      measured: 'not recorded: no service events tell when the old tasks drained',
      setting: `deregistration_delay.timeout_seconds on target group ${t.oldTargetGroup!.name}`,
      value: `${delay} s`,
      suggestion: `each old task may drain for up to ${delay} s; ${DRAIN_TARGET_SECONDS} s is enough if your app finishes its in-flight requests within it`,
    });
  }
  const settings = healthSettings(t);
  if (
    !claimed.has('health-checks') &&
    settings &&
    settings.changes.length > 0 &&
    settings.floor - settings.newFloor >= MIN_SAVING_SECONDS
  ) {
    unknown.push({
      id: 'health-checks',
      cause: 'Health checks until the new tasks are healthy',
      measured: 'not recorded: no record of when the new tasks became healthy',
      setting: 'health checks',
      value: settings.value,
      suggestion: `${settings.changes.join(', ')} would shorten the wait for healthy tasks from ~${formatSeconds(settings.floor)} to ~${formatSeconds(settings.newFloor)}`,
    });
  }
  const shift = t.trafficShifting;
  if (!claimed.has('traffic-shifting') && shift && shift.kind !== 'all-at-once' && !shift.span) {
    unknown.push({
      id: 'traffic-shifting',
      cause: 'Production traffic shifting',
      measured: 'not recorded: no traffic-shift times were read',
      setting: shift.setting,
      value: `${shift.percentage}% ${shift.kind === 'canary' ? 'first, the rest after' : 'every'} ${shift.intervalMinutes} min`,
    });
  }
  return unknown;
}

/**
 * Where the deploy's time went: each recorded span clipped to the deploy's window, every second
 * attributed to one cause at most, ranked by seconds. A suggestion is kept only when it would
 * save at least MIN_SAVING_SECONDS; its `{saves}` placeholder becomes the saving.
 */
export function attributeCauses(timeline: RecordedTimeline): Attribution {
  const window: Interval = [timeline.window.start, timeline.window.end];
  const windowMs = Math.max(0, window[1] - window[0]);
  const candidates = [
    drainCandidate(timeline),
    terminationCandidate(timeline),
    bakeCandidate(timeline),
    shiftingCandidate(timeline),
    ...taskCandidates(timeline),
  ].filter((c) => c !== undefined);
  candidates.sort((a, b) => PRECEDENCE.indexOf(a.cause.id) - PRECEDENCE.indexOf(b.cause.id));

  const taken: Interval[] = [];
  const measured: Cause[] = [];
  for (const candidate of candidates) {
    const own = subtract(clip(union(candidate.intervals), window), taken);
    const ms = totalMs(own);
    if (ms <= 0) continue;
    taken.push(...own);
    const seconds = tenths(ms);
    const { suggestion, ...rest } = candidate.cause;
    const cause: Cause = { ...rest, seconds };
    const saving = candidate.saving ? Math.round(candidate.saving(seconds)) : 0;
    if (suggestion && saving >= MIN_SAVING_SECONDS) {
      cause.suggestion = suggestion.replace('{saves}', saves(saving));
      cause.savesSeconds = saving;
    }
    measured.push(cause);
  }
  measured.sort(
    (a, b) => b.seconds! - a.seconds! || PRECEDENCE.indexOf(a.id) - PRECEDENCE.indexOf(b.id),
  );
  const claimed = new Set(measured.map((c) => c.id));
  return {
    windowSeconds: tenths(windowMs),
    causes: [...measured, ...unknownCauses(timeline, claimed)],
    otherSeconds: tenths(Math.max(0, windowMs - totalMs(taken))),
    notes: [...timeline.notes],
  };
}

function cell(value: string | undefined): string {
  return text(value, 300);
}

/**
 * The ranked causes as a job summary (or tracking issue) section: a table a user can check
 * against the console, the time no record explains, and the reads that failed.
 */
export function renderCauses(attribution: Attribution): string {
  const lines = [
    `### Where the ${formatSeconds(attribution.windowSeconds)} on AWS went`,
    '',
    '| # | Cause | Took | Setting | Value | Suggestion |',
    '|---:|---|---:|---|---|---|',
    ...attribution.causes.map(
      (c, i) =>
        `| ${i + 1} | ${cell(c.cause)} | ${c.seconds === undefined ? 'not recorded' : formatSeconds(c.seconds)} | ${cell(c.setting)} | ${cell(c.value)} | ${cell(c.suggestion)} |`,
    ),
  ];
  if (attribution.otherSeconds > 0) {
    lines.push(
      `| | Not explained by what AWS recorded | ${formatSeconds(attribution.otherSeconds)} | | | |`,
    );
  }
  const avoidable = attribution.causes.filter((c) => c.savesSeconds !== undefined);
  lines.push(
    '',
    avoidable.length === 0
      ? `Nothing measured is avoidable: no suggestion would save ${MIN_SAVING_SECONDS} s or more.`
      : 'Suggestions are advice: this action never changes a setting.',
  );
  if (attribution.notes.length > 0) {
    lines.push('', ...attribution.notes.map((n) => `- ${text(n, 500)}`));
  }
  lines.push(
    '',
    'How each cause was measured:',
    '',
    ...attribution.causes.map((c) => `- ${cell(c.cause)}: ${cell(c.measured)}`),
  );
  return lines.join('\n');
}
