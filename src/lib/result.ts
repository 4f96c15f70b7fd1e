import * as core from '@actions/core';
import { ActionError } from './errors.ts';

/** What a step output can hold; numbers and booleans are written as the runner shows them. */
export type OutputValue = string | number | boolean;

/** The output names an action declares, from its names.ts: `OutputName<typeof OUTPUT>`. */
export type OutputName<T extends Record<string, string>> = T[keyof T];

/**
 * What an action's `run` returns and its `main` writes: every declared output, the job summary,
 * and, when the step is to fail after reporting (a scan over its threshold, a deploy over its
 * budget), the one line that says why.
 */
export interface ActionResult<Name extends string> {
  outputs: Record<Name, OutputValue>;
  /** Markdown appended to the job summary. */
  summary: string;
  failure?: string;
}

/**
 * The edge every action ends at: outputs and summary where the runner reads them, then the
 * failure, if any, thrown for runAction to report. Outside a runner (no GITHUB_STEP_SUMMARY)
 * the summary is left out rather than failing the step.
 */
export async function writeResult<Name extends string>(result: ActionResult<Name>): Promise<void> {
  for (const [name, value] of Object.entries<OutputValue>(result.outputs)) {
    core.setOutput(name, value);
  }
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(result.summary).write();
  else core.debug('GITHUB_STEP_SUMMARY is not set: no job summary written');
  if (result.failure !== undefined) throw new ActionError(result.failure);
}
