/**
 * Polling without SDK waiters: the caller decides what "done" means, every wait has an explicit
 * deadline, and the interval only grows when AWS says we are too fast (throttling).
 */

export interface PollOptions {
  /** Delay between polls in ms. */
  intervalMs: number;
  /** Absolute deadline (epoch ms). */
  deadline: number;
  /** Random spread added to each delay, as a fraction of it (0.1 = up to +10 %). Default 0.1. */
  jitter?: number;
  /** Longest delay after backing off on throttling. Default 4 × intervalMs. */
  maxIntervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export type PollStep<T> = { done: true; value: T } | { done: false };

export class PollTimeoutError extends Error {
  override readonly name = 'PollTimeoutError';
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
]);

export function isThrottling(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, status, $metadata } = err as {
    name?: string;
    status?: number;
    $metadata?: { httpStatusCode?: number };
  };
  return (
    (name !== undefined && THROTTLING.has(name)) ||
    status === 429 ||
    $metadata?.httpStatusCode === 429
  );
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `check` until it reports done or the deadline passes (then throws PollTimeoutError).
 * A throttling error from `check` doubles the interval (up to maxIntervalMs) and is retried;
 * a successful poll returns to the base interval. Other errors propagate.
 */
export async function poll<T>(check: () => Promise<PollStep<T>>, options: PollOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  const jitter = options.jitter ?? 0.1;
  const maxInterval = options.maxIntervalMs ?? options.intervalMs * 4;
  let interval = options.intervalMs;
  for (;;) {
    try {
      const step = await check();
      if (step.done) return step.value;
      interval = options.intervalMs;
    } catch (err) {
      if (!isThrottling(err)) throw err;
      interval = Math.min(interval * 2, maxInterval);
    }
    const remaining = options.deadline - now();
    if (remaining <= 0) throw new PollTimeoutError('timed out');
    await wait(Math.min(remaining, interval * (1 + jitter * random())));
    if (options.deadline - now() <= 0) {
      // One last look: the state may have been reached during the final sleep.
      const step = await check().catch((err) => {
        if (isThrottling(err)) return { done: false } as const;
        throw err;
      });
      if (step.done) return step.value;
      throw new PollTimeoutError('timed out');
    }
  }
}
