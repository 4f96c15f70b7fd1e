import { describeError } from './errors.ts';
import * as runner from './runner.ts';

function debugEnabled(): boolean {
  return runner.isDebug() || process.env.ACTIONS_STEP_DEBUG === 'true';
}

/** Reports a failure the way every action does: one annotation, exit code 1, stack only in debug. */
export function reportFailure(err: unknown): void {
  runner.setFailed(describeError(err));
  if (debugEnabled() && err instanceof Error && err.stack) {
    runner.info(err.stack);
  }
  process.exitCode = 1;
}

/** The entry of every action: run `main`, turn any error into one annotation and exit code 1. */
export async function runAction(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    reportFailure(err);
  }
}
