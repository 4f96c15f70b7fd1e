// Transport-level faults the server injects instead of (or before) handling a call. Faults that
// belong to a service's own behaviour (a failing hook, tasks that never become healthy, a
// deployment that never finishes) live in the service modules and their scenario sections.

import type { ServiceName } from './types.ts';

export type FaultKind =
  /** AWS `ThrottlingException` (400). */
  | 'throttle'
  /** AWS `ServiceUnavailableException` (503) / `InternalFailure` (500); GitHub 5xx. */
  | 'error'
  /** Delays the answer by `latencyMs` real milliseconds, then handles the call normally. */
  | 'latency'
  /** Destroys the socket without answering. */
  | 'drop'
  /** GitHub's secondary rate limit: 403 with `retry-after`. */
  | 'github-secondary-rate-limit'
  /** GitHub's primary rate limit answered as 429 with `x-ratelimit-remaining: 0`. */
  | 'github-rate-limit';

export interface FaultSpec {
  kind: FaultKind;
  /** Only calls to these services (default: all). */
  service?: ServiceName | ServiceName[];
  /** Only these operations: AWS names (`UpdateService`) or GitHub `METHOD /path` prefixes. */
  operation?: string | string[];
  /** Probability (0..1) that a matching call is hit, drawn from the scenario's seeded RNG. */
  share?: number;
  /** Hit this many matching calls, then stop. With `share`, counts only the calls hit. */
  count?: number;
  /** Let this many matching calls through before the fault starts. */
  after?: number;
  /** For `error`: the HTTP status (default 503). */
  status?: number;
  /** For `error`: the AWS error type (default by status). */
  type?: string;
  /** For `latency`: real milliseconds added. */
  latencyMs?: number;
  /** For the GitHub rate limits: seconds the client is told to wait (default 1). */
  retryAfter?: number;
}

/** What to do with one call. */
export interface FaultDecision {
  /** Real milliseconds to wait before handling or answering. */
  latencyMs: number;
  /** The fault answered instead of handling the call, if any. */
  fault?: FaultSpec;
  /** Names of every fault applied, for the call record. */
  applied: string[];
}

/** Mulberry32: small, fast and deterministic for a given seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS: readonly FaultKind[] = [
  'throttle',
  'error',
  'latency',
  'drop',
  'github-secondary-rate-limit',
  'github-rate-limit',
];

export function validateFault(spec: FaultSpec): FaultSpec {
  if (!KINDS.includes(spec.kind)) {
    throw new Error(`unknown fault kind "${spec.kind}" (expected one of ${KINDS.join(', ')})`);
  }
  if (spec.share !== undefined && !(spec.share >= 0 && spec.share <= 1)) {
    throw new Error(`fault share must be between 0 and 1, got ${spec.share}`);
  }
  if (spec.kind === 'latency' && !(typeof spec.latencyMs === 'number' && spec.latencyMs >= 0)) {
    throw new Error('a latency fault needs latencyMs');
  }
  return spec;
}

interface ActiveFault {
  spec: FaultSpec;
  seen: number;
  hits: number;
}

function matches(spec: FaultSpec, service: ServiceName, operation: string): boolean {
  if (spec.service !== undefined) {
    const services = Array.isArray(spec.service) ? spec.service : [spec.service];
    if (!services.includes(service)) return false;
  }
  if (spec.operation !== undefined) {
    const operations = Array.isArray(spec.operation) ? spec.operation : [spec.operation];
    // GitHub paths carry ids, so a GitHub operation matches by prefix; AWS names match exactly.
    const hit = (op: string) =>
      service === 'github' ? operation.startsWith(op) : operation === op;
    if (!operations.some(hit)) return false;
  }
  if (service === 'github') return spec.kind !== 'throttle';
  return spec.kind !== 'github-secondary-rate-limit' && spec.kind !== 'github-rate-limit';
}

export class Faults {
  #active: ActiveFault[] = [];
  readonly #random: () => number;

  constructor(seed: number, initial: FaultSpec[] = []) {
    this.#random = seededRandom(seed);
    this.set(initial);
  }

  /** Replaces the active faults; counters start again from zero. */
  set(list: FaultSpec[]): void {
    this.#active = list.map((spec) => ({ spec: validateFault(spec), seen: 0, hits: 0 }));
  }

  clear(): void {
    this.#active = [];
  }

  get list(): FaultSpec[] {
    return this.#active.map((a) => a.spec);
  }

  /** Decides the fate of one call. Latencies add up; the first answering fault wins. */
  decide(service: ServiceName, operation: string): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0, applied: [] };
    for (const active of this.#active) {
      const { spec } = active;
      if (!matches(spec, service, operation)) continue;
      if (decision.fault !== undefined && spec.kind !== 'latency') continue;
      active.seen += 1;
      if (spec.after !== undefined && active.seen <= spec.after) continue;
      if (spec.count !== undefined && active.hits >= spec.count) continue;
      if (spec.share !== undefined && this.#random() >= spec.share) continue;
      active.hits += 1;
      decision.applied.push(spec.kind);
      if (spec.kind === 'latency') decision.latencyMs += spec.latencyMs ?? 0;
      else decision.fault = spec;
    }
    return decision;
  }
}
