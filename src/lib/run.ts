import * as core from '@actions/core';
import { describeError } from './errors.ts';
import { actionsLog } from './log.ts';

function debugEnabled(): boolean {
  return core.isDebug() || process.env.ACTIONS_STEP_DEBUG === 'true';
}

/**
 * Reports a failure the way every action does: one annotation, exit code 1, stack only in debug.
 * A stack starts with the error's message, which may quote anything, so it is printed as plain
 * log text like every other line.
 */
export function reportFailure(err: unknown): void {
  core.setFailed(describeError(err));
  if (debugEnabled() && err instanceof Error && err.stack) {
    actionsLog.info(err.stack);
  }
}

/**
 * What Node does with an error nothing caught (prints its stack to stderr, where the runner also
 * reads commands, and exits 1) done the actions' way: one annotation, then exit 1.
 */
function crash(err: unknown): void {
  reportFailure(err);
  process.exit(1);
}

/** The entry of every action: run `main`, turn any error into one annotation and exit code 1. */
export async function runAction(main: () => Promise<void>): Promise<void> {
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  try {
    await main();
  } catch (err) {
    reportFailure(err);
  }
}
