import { InputError } from '../../lib/errors.ts';

/** One measured part of the pipeline. */
export interface Phase {
  name: string;
  seconds: number;
  /** ISO 8601, when known. */
  startedAt?: string;
  endedAt?: string;
  /**
   * `deploy`: from the deploy action; `job`/`step`: from the workflow run's jobs API; `wait`: the
   * job waiting to start (approval), shown but outside the budget.
   */
  source: 'deploy' | 'job' | 'step' | 'wait';
  /** The job or step this phase ran inside, e.g. the step that ran the deploy action. */
  parent?: string;
}

/** The fields of `GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs` this action reads. */
export interface WorkflowJob {
  name: string;
  status: string;
  conclusion?: string | null;
  started_at?: string | null;
  completed_at?: string | null;
  steps?: Array<{
    name: string;
    status: string;
    conclusion?: string | null;
    started_at?: string | null;
    completed_at?: string | null;
  }>;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** Epoch ms of an ISO 8601 time with a zone, or undefined when it is not one. */
export function parseIsoTime(text: string): number | undefined {
  if (!ISO_TIME.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * Validates the deploy action's `phases` output: a list of `{name, startedAt, endedAt, seconds}`.
 * `seconds` may be left out when both times are given; times may be left out when `seconds` is.
 */
export function parseDeployPhases(input: string, value: unknown): Phase[] {
  if (!Array.isArray(value)) {
    throw new InputError(
      input,
      `must be a JSON list of {name, startedAt, endedAt, seconds}, got ${describe(value)}`,
    );
  }
  return value.map((item, index) => {
    const at = `item ${index + 1}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new InputError(input, `${at}: must be an object, got ${describe(item)}`);
    }
    const { name, startedAt, endedAt, seconds } = item as Record<string, unknown>;
    if (typeof name !== 'string' || name.trim() === '') {
      throw new InputError(
        input,
        `${at}: 'name' must be a non-empty string, got ${describe(name)}`,
      );
    }
    const where = `${at} (${name})`;
    const times: Record<string, number | undefined> = {};
    for (const [key, raw] of [
      ['startedAt', startedAt],
      ['endedAt', endedAt],
    ] as const) {
      if (raw === undefined || raw === null) continue;
      const ms = typeof raw === 'string' ? parseIsoTime(raw) : undefined;
      if (ms === undefined) {
        throw new InputError(
          input,
          `${where}: '${key}' must be an ISO 8601 time like 2024-05-01T12:00:00Z, got ${describe(raw)}`,
        );
      }
      times[key] = ms;
    }
    const { startedAt: start, endedAt: end } = times;
    if (start !== undefined && end !== undefined && end < start) {
      throw new InputError(input, `${where}: 'endedAt' is before 'startedAt'`);
    }
    let measured: number;
    if (seconds !== undefined && seconds !== null) {
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
        throw new InputError(
          input,
          `${where}: 'seconds' must be a number of seconds (0 or more), got ${describe(seconds)}`,
        );
      }
      measured = seconds;
    } else if (start !== undefined && end !== undefined) {
      measured = (end - start) / 1000;
    } else {
      throw new InputError(input, `${where}: needs 'seconds', or both 'startedAt' and 'endedAt'`);
    }
    const phase: Phase = { name: name.trim(), seconds: measured, source: 'deploy' };
    if (typeof startedAt === 'string') phase.startedAt = startedAt;
    if (typeof endedAt === 'string') phase.endedAt = endedAt;
    return phase;
  });
}

function span(startedAt?: string | null, completedAt?: string | null) {
  if (!startedAt || !completedAt) return undefined;
  const start = parseIsoTime(startedAt);
  const end = parseIsoTime(completedAt);
  if (start === undefined || end === undefined || end < start) return undefined;
  return { startedAt, endedAt: completedAt, seconds: (end - start) / 1000 };
}

/**
 * Phases from the workflow run: a finished job counts as one phase (build, scan); a job still
 * running — the one this action runs in — counts by its finished steps, because the job itself
 * has no end yet. Skipped jobs and steps took no time worth showing.
 */
export function jobPhases(jobs: readonly WorkflowJob[]): Phase[] {
  const phases: Phase[] = [];
  for (const job of jobs) {
    if (job.conclusion === 'skipped') continue;
    if (job.status === 'completed') {
      const time = span(job.started_at, job.completed_at);
      if (time) phases.push({ name: job.name, ...time, source: 'job' });
      continue;
    }
    for (const step of job.steps ?? []) {
      if (step.status !== 'completed' || step.conclusion === 'skipped') continue;
      const time = span(step.started_at, step.completed_at);
      if (time) phases.push({ name: `${job.name} / ${step.name}`, ...time, source: 'step' });
    }
  }
  return phases;
}

// The jobs API reports whole seconds; the deploy action reports milliseconds.
const TOLERANCE_MS = 1000;

/**
 * The phases of the run inside the measured span: a job that ended before the measurement
 * started (the build, the scan, another environment's deploy) is another part of the pipeline.
 */
export function phasesSince(phases: readonly Phase[], startedAt: number): Phase[] {
  return phases.filter((p) => {
    const end = p.endedAt === undefined ? undefined : parseIsoTime(p.endedAt);
    return end === undefined || end > startedAt + TOLERANCE_MS;
  });
}

export const APPROVAL_WAIT = 'Approval wait';

// Two runners' clocks (the job that noted the wait's start, the one that started after it) agree
// to within NTP's skew, not exactly.
const CLOCK_SKEW_MS = 60_000;

/**
 * The wait between a job becoming ready and starting (reviewers, a wait timer, a concurrency
 * group, a runner), as one phase outside the budget. Undefined when the times say it did not
 * wait; an error when the wait would end long before it began.
 */
export function approvalWait(
  waitingSince: number,
  startedAt: number,
): Phase | { problem: string } | undefined {
  if (waitingSince > startedAt + CLOCK_SKEW_MS) {
    return {
      problem: `${new Date(waitingSince).toISOString()} is after started-at (${new Date(startedAt).toISOString()})`,
    };
  }
  if (waitingSince >= startedAt) return undefined;
  return {
    name: APPROVAL_WAIT,
    seconds: (startedAt - waitingSince) / 1000,
    startedAt: new Date(waitingSince).toISOString(),
    endedAt: new Date(startedAt).toISOString(),
    source: 'wait',
  };
}

function contains(outer: Phase, inner: Phase): boolean {
  const outerStart = outer.startedAt ? parseIsoTime(outer.startedAt) : undefined;
  const outerEnd = outer.endedAt ? parseIsoTime(outer.endedAt) : undefined;
  const innerStart = inner.startedAt ? parseIsoTime(inner.startedAt) : undefined;
  const innerEnd = inner.endedAt ? parseIsoTime(inner.endedAt) : undefined;
  if ([outerStart, outerEnd, innerStart, innerEnd].some((t) => t === undefined)) return false;
  return innerStart! >= outerStart! - TOLERANCE_MS && innerEnd! <= outerEnd! + TOLERANCE_MS;
}

function unique(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) candidate = `${name} (${n})`;
  taken.add(candidate);
  return candidate;
}

function startOf(phase: Phase): number {
  const start = phase.startedAt === undefined ? undefined : parseIsoTime(phase.startedAt);
  return start ?? Number.POSITIVE_INFINITY;
}

/**
 * One list from both sources, in the order things happened. A deploy-action phase is placed
 * under the step (or job) whose time span contains it, so the same minutes are never shown as
 * two unrelated phases; names are made unique so budgets and history can refer to them.
 */
export function mergePhases(deploy: readonly Phase[], run: readonly Phase[]): Phase[] {
  const taken = new Set<string>();
  const top = run.map((p) => ({ ...p, name: unique(p.name, taken) }));
  const children = new Map<string, Phase[]>();
  const orphans: Phase[] = [];
  for (const phase of deploy) {
    const container =
      top.find((p) => p.source === 'step' && contains(p, phase)) ??
      top.find((p) => p.source === 'job' && contains(p, phase));
    const named = { ...phase, name: unique(phase.name, taken) };
    if (container) {
      named.parent = container.name;
      children.set(container.name, [...(children.get(container.name) ?? []), named]);
    } else {
      orphans.push(named);
    }
  }
  const ordered = [...top, ...orphans]
    .map((phase, index) => ({ phase, index }))
    .sort((a, b) => startOf(a.phase) - startOf(b.phase) || a.index - b.index)
    .map(({ phase }) => phase);
  return ordered.flatMap((phase) => [phase, ...(children.get(phase.name) ?? [])]);
}

/** Phases that are not split further: where the deploy's own time went (waits left out). */
export function leafPhases(phases: readonly Phase[]): Phase[] {
  const parents = new Set(phases.map((p) => p.parent).filter((p) => p !== undefined));
  return phases.filter((p) => !parents.has(p.name) && p.source !== 'wait');
}

export function slowestPhase(phases: readonly Phase[]): Phase | undefined {
  let slowest: Phase | undefined;
  for (const phase of leafPhases(phases)) {
    if (!slowest || phase.seconds > slowest.seconds) slowest = phase;
  }
  return slowest;
}

/**
 * The phase a `phase-budgets` key names: its exact name, the same name in another case, or —
 * for a step — the step's own name without its job.
 */
export function findPhase(phases: readonly Phase[], key: string): Phase | undefined {
  const lower = key.toLowerCase();
  return (
    phases.find((p) => p.name === key) ??
    phases.find((p) => p.name.toLowerCase() === lower) ??
    phases.find(
      (p) => p.source === 'step' && p.name.slice(p.name.indexOf(' / ') + 3).toLowerCase() === lower,
    )
  );
}
