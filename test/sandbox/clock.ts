// Simulated time for the sandbox. The clock runs `speed` times faster than real time, and
// the scheduler is a discrete-event queue that the services advance lazily: before each
// request every event due by `clock.now()` runs, stamped with its own scheduled time. A state
// change therefore happens at the same simulated instant however often (or rarely) a client
// polls, which is what lets a benchmark measure how late an action noticed it.

import type { AccountContext, Clock } from './types.ts';

export interface ClockOptions {
  /** Simulated milliseconds per real millisecond. Default 1. */
  speed?: number;
  /** Simulated epoch ms at creation. Default: the real time now. */
  start?: number;
}

export interface SandboxClock extends Clock {
  /** Simulated epoch ms when the clock was created. */
  readonly start: number;
  /** Real epoch ms (sub-millisecond) at that instant: with `start` and `speed`, the clock entire. */
  readonly realStart: number;
  /** Simulated ms elapsed since `start`. */
  elapsed(): number;
}

export function createClock(options: ClockOptions = {}): SandboxClock {
  const speed = options.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) {
    throw new Error(`clock speed must be a positive number, got ${speed}`);
  }
  const realStart = performance.timeOrigin + performance.now();
  const start = options.start ?? Date.now();
  const now = () => start + (performance.timeOrigin + performance.now() - realStart) * speed;
  return {
    speed,
    start,
    realStart,
    now,
    elapsed: () => now() - start,
    sleep(simulatedMs: number) {
      const realMs = Math.max(0, simulatedMs / speed);
      return new Promise((resolve) => setTimeout(resolve, realMs));
    },
  };
}

interface ScheduledEvent {
  at: number;
  seq: number;
  run: (at: number) => void;
}

/** A handle that cancels a scheduled event if it has not run yet. */
export interface Scheduled {
  cancel(): void;
}

/**
 * Events ordered by simulated time (ties in scheduling order). An event may schedule further
 * events; those due before the advance target run in the same `advance` call.
 */
export class Scheduler {
  readonly #clock: Clock;
  #queue: ScheduledEvent[] = [];
  #seq = 0;
  #advancing = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get clock(): Clock {
    return this.#clock;
  }

  /** Runs `run(at)` once simulated time reaches `at`. */
  at(at: number, run: (at: number) => void): Scheduled {
    const event: ScheduledEvent = { at, seq: this.#seq++, run };
    this.#queue.push(event);
    this.#queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return {
      cancel: () => {
        this.#queue = this.#queue.filter((e) => e !== event);
      },
    };
  }

  /** Runs every event due by `until` (default: now) in time order. */
  advance(until: number = this.#clock.now()): void {
    // An event handler that reads state would otherwise re-enter and run events out of order.
    if (this.#advancing) return;
    this.#advancing = true;
    try {
      for (;;) {
        const next = this.#queue[0];
        if (next === undefined || next.at > until) break;
        this.#queue.shift();
        next.run(next.at);
      }
    } finally {
      this.#advancing = false;
    }
  }

  /** Number of events not yet run. */
  get pending(): number {
    return this.#queue.length;
  }
}

/** AWS JSON 1.1 timestamps: epoch seconds as a number (the SDKs accept fractions). */
export function epochSeconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/** What the stateful simulators (ECS, CodeDeploy) share: account, clock, events and ids. */
export interface SimContext extends AccountContext {
  scheduler: Scheduler;
  /** Seeded, so ids and shares repeat from run to run. */
  random: () => number;
}

/** `n` lowercase hex digits from the seeded RNG. */
export function randomHex(random: () => number, n: number): string {
  let out = '';
  while (out.length < n) out += Math.floor(random() * 16).toString(16);
  return out;
}

/** What puts a Node process on this clock (test/sandbox/runner-clock.mjs, loaded by --import). */
export function runnerClockEnv(clock: SandboxClock, nodeOptions = ''): Record<string, string> {
  const preload = new URL('./runner-clock.mjs', import.meta.url).href;
  return {
    SANDBOX_CLOCK: `${clock.start}:${clock.realStart}:${clock.speed}`,
    NODE_OPTIONS: `${nodeOptions} --import=${preload}`.trim(),
  };
}
