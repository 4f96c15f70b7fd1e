import * as core from '@actions/core';
import { describeError } from './errors.ts';

function debugEnabled(): boolean {
  return core.isDebug() || process.env.ACTIONS_STEP_DEBUG === 'true';
}

/** Reports a failure the way every action does: one annotation, exit code 1, stack only in debug. */
export function reportFailure(err: unknown): void {
  core.setFailed(describeError(err));
  if (debugEnabled() && err instanceof Error && err.stack) {
    core.info(err.stack);
  }
}

/** The entry of every action: run `main`, turn any error into one annotation and exit code 1. */
export async function runAction(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    reportFailure(err);
  }
}
