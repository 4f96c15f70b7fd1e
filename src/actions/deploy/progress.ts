import { formatDuration } from '../../lib/inputs.ts';
import type { Logger } from './types.ts';

/**
 * Progress lines for a long wait: each fact (a lifecycle event's state, the traffic weights, a
 * task set's counts) is printed when it changes and never again while it stays the same, inside
 * one `::group::` per stage so the log reads as a short story rather than a line per poll.
 */
export class Progress {
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #start: number;
  readonly #last = new Map<string, string>();
  #group: string | undefined;

  constructor(log: Logger, now: () => number = Date.now) {
    this.#log = log;
    this.#now = now;
    this.#start = now();
  }

  /** Opens the group for a stage, closing the previous one; the same title is a no-op. */
  stage(title: string): void {
    if (title === this.#group) return;
    if (this.#group !== undefined) this.#log.endGroup();
    this.#log.startGroup(title);
    this.#group = title;
  }

  /** Prints `text` if the fact called `key` changed since it was last printed. */
  report(key: string, text: string): boolean {
    if (this.#last.get(key) === text) return false;
    this.#last.set(key, text);
    this.#log.info(`[${formatElapsed(this.#now() - this.#start)}] ${text}`);
    return true;
  }

  /** Whether the fact would print, without printing it. */
  changed(key: string, text: string): boolean {
    return this.#last.get(key) !== text;
  }

  warning(message: string): void {
    this.#log.warning(message);
  }

  close(): void {
    if (this.#group !== undefined) this.#log.endGroup();
    this.#group = undefined;
  }
}

export function formatWeights(weights: Record<string, number>): string {
  return Object.entries(weights)
    .map(([label, weight]) => `${label} ${weight}%`)
    .join(' · ');
}

/** Elapsed time for log lines and timelines: tenths under ten seconds, then 1m05s style. */
export function formatElapsed(ms: number): string {
  return ms < 10_000
    ? `${(Math.max(0, ms) / 1000).toFixed(1).replace(/\.0$/, '')}s`
    : formatDuration(ms);
}
