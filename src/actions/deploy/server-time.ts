/**
 * What the runner's clock can tell about AWS's. Runner clocks drift and may be minutes off, so
 * AWS timestamps are never compared with `Date.now()` directly. Instead one AWS instant is
 * pinned between two local instants (the deployment's createTime, between sending
 * CreateDeployment and its answer), and the rate at which AWS time passes per local
 * millisecond is bracketed by every poll: what a poll saw had happened before it was answered,
 * what it had not yet seen happened after it was sent. For real AWS the bracket closes around
 * 1; a simulator running faster than real time closes it around its speed.
 */
const SAME_RATE_TOLERANCE = 0.001;

export class ServerTime {
  readonly #anchor: number;
  readonly #sentAt: number;
  readonly #answeredAt: number;
  #slowest = 0;
  #fastest = Number.POSITIVE_INFINITY;

  /** `aws` (epoch ms on AWS's clock) happened between local `sentAt` and `answeredAt`. */
  constructor(aws: number, sentAt: number, answeredAt: number) {
    this.#anchor = aws;
    this.#sentAt = sentAt;
    this.#answeredAt = answeredAt;
  }

  /** A poll answered at local `answeredAt` showed AWS time `aws` had passed. */
  seen(aws: number, answeredAt: number): void {
    const local = answeredAt - this.#sentAt;
    const remote = aws - this.#anchor;
    if (local > 0 && remote > 0) this.#slowest = Math.max(this.#slowest, remote / local);
  }

  /** A poll sent at local `sentAt` did not yet show something that happened at AWS time `aws`. */
  notYet(aws: number, sentAt: number): void {
    const local = sentAt - this.#answeredAt;
    const remote = aws - this.#anchor;
    if (local > 0 && remote > 0) this.#fastest = Math.min(this.#fastest, remote / local);
  }

  /** AWS milliseconds per local millisecond, as bracketed so far. */
  get rate(): { slowest: number; fastest: number } {
    return { slowest: this.#slowest, fastest: this.#fastest };
  }

  /**
   * The local interval in which AWS time `aws` falls, or undefined while the rate is not yet
   * bracketed (or the observations disagree, as after a clock jump).
   */
  window(aws: number): { earliest: number; latest: number } | undefined {
    let slowest = this.#slowest;
    let fastest = this.#fastest;
    if (!(slowest > 0) || !Number.isFinite(fastest) || fastest < slowest) return undefined;
    // Clocks kept by NTP differ in offset, not in rate: when the observations allow a rate of
    // 1, it is AWS itself and the bracket can be much narrower than polls alone make it.
    if (slowest <= 1 && fastest >= 1) {
      slowest = Math.max(slowest, 1 - SAME_RATE_TOLERANCE);
      fastest = Math.min(fastest, 1 + SAME_RATE_TOLERANCE);
    }
    const remote = aws - this.#anchor;
    return {
      earliest: this.#sentAt + remote / fastest,
      latest: this.#answeredAt + remote / slowest,
    };
  }
}

/** Every AWS timestamp in a response, as epoch ms. */
export function timestampsIn(value: unknown, into: number[] = []): number[] {
  if (value instanceof Date) into.push(value.getTime());
  else if (Array.isArray(value)) for (const item of value) timestampsIn(item, into);
  else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) timestampsIn(item, into);
  }
  return into;
}

/**
 * Feeds one poll's timestamps to the clock: the newest one had passed when the poll was
 * answered, and the ones newer than anything the previous poll saw came after it was sent.
 */
export class TimestampWatch {
  readonly #clock: ServerTime;
  #newest = Number.NEGATIVE_INFINITY;
  #previousSentAt: number | undefined;

  constructor(clock: ServerTime) {
    this.#clock = clock;
  }

  observe(timestamps: number[], sentAt: number, answeredAt: number): void {
    if (timestamps.length > 0) {
      const newest = Math.max(...timestamps);
      this.#clock.seen(newest, answeredAt);
      const fresh = timestamps.filter((t) => t > this.#newest);
      if (fresh.length > 0 && this.#previousSentAt !== undefined && Number.isFinite(this.#newest)) {
        this.#clock.notYet(Math.min(...fresh), this.#previousSentAt);
      }
      this.#newest = Math.max(this.#newest, newest);
    }
    this.#previousSentAt = sentAt;
  }
}

export interface SleepPlan {
  /** Local ms from now to the next poll. */
  delay: number;
  reason: 'regular' | 'quiet' | 'window';
}

/** Polls per regular interval while inside the window where the awaited instant falls. */
const WINDOW_DENSITY = 4;

/**
 * When to poll next. Regular polls keep the promised bound (one poll interval after the awaited
 * state). When the awaited state cannot come before a predicted AWS instant (the end of a
 * termination wait, the last step of a canary), polls before it are skipped, up to `quietMaxMs`
 * at a time; inside the few seconds the instant can fall in, polls come faster, so the action
 * notices it sooner while making fewer calls overall.
 */
export function planSleep(
  now: number,
  regularMs: number,
  window: { earliest: number; latest: number } | undefined,
  quietMaxMs: number,
): SleepPlan {
  if (!window) return { delay: regularMs, reason: 'regular' };
  // Wake one interval before the earliest moment: AWS may show a change a little after its
  // timestamp, which makes the earliest estimate slightly late.
  const wakeAt = window.earliest - regularMs;
  if (now + regularMs < wakeAt) {
    return { delay: Math.min(wakeAt - now, quietMaxMs), reason: 'quiet' };
  }
  if (now < window.earliest) {
    return { delay: Math.min(regularMs, window.earliest - now), reason: 'window' };
  }
  if (now < window.latest) {
    const dense = Math.max(1, regularMs / WINDOW_DENSITY);
    return { delay: Math.min(dense, window.latest - now + 1), reason: 'window' };
  }
  return { delay: regularMs, reason: 'regular' };
}
