import type { Phase } from './types.ts';

export function toPhase(name: string, start: Date, end: Date): Phase {
  return {
    name,
    startedAt: start.toISOString(),
    endedAt: end.toISOString(),
    seconds: Math.max(0, Math.round((end.getTime() - start.getTime()) / 100) / 10),
  };
}

/**
 * Stages seen one after another (ECS reports only the current stage of a service deployment):
 * each stage starts when AWS says the deployment changed to it, and ends when the next starts.
 */
export class StageTimeline {
  readonly #stages: Array<{ name: string; at: Date }> = [];
  #end: Date | undefined;

  /** Records `name` as current since `at`, unless it already is. */
  enter(name: string, at: Date): boolean {
    const last = this.#stages.at(-1);
    if (last?.name === name) return false;
    this.#stages.push({ name, at });
    return true;
  }

  finish(at: Date): void {
    this.#end = at;
  }

  get current(): string | undefined {
    return this.#stages.at(-1)?.name;
  }

  /** Completed stages only: one still running has no end yet. */
  phases(): Phase[] {
    const phases: Phase[] = [];
    this.#stages.forEach((stage, i) => {
      const end = this.#stages[i + 1]?.at ?? this.#end;
      if (end) phases.push(toPhase(stage.name, stage.at, end));
    });
    return phases;
  }
}

/** Seconds between the first and last AWS timestamps of a deployment. */
export function spanSeconds(start: Date | undefined, end: Date | undefined): number | undefined {
  if (!start || !end) return undefined;
  return Math.max(0, Math.round((end.getTime() - start.getTime()) / 1000));
}

export function latest(...dates: Array<Date | undefined>): Date | undefined {
  let best: Date | undefined;
  for (const date of dates) if (date && (!best || date > best)) best = date;
  return best;
}
