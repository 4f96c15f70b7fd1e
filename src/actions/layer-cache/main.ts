import * as core from '@actions/core';
import { runnerContext } from '../../lib/context.ts';
import { messageOf } from '../../lib/errors.ts';
import { actionsLog } from '../../lib/log.ts';
import { getInputs } from './inputs.ts';
import { STATE } from './names.ts';
import { parseSaveState, run, runPost } from './run.ts';

/** The action's edge for both steps: `post:` runs the same bundle, told apart by saved state. */
export async function main(): Promise<void> {
  if (core.getState(STATE.isPost) === 'true') {
    const state = parseSaveState(core.getState(STATE.saveBlobs));
    if (state) await runPost(state, { log: actionsLog });
    return;
  }
  core.saveState(STATE.isPost, 'true');
  const inputs = getInputs((name) => core.getInput(name));
  const result = await run(inputs, {
    log: actionsLog,
    mask: (secret) => core.setSecret(secret),
    tempDir: runnerContext().tempDir,
  });
  for (const [name, value] of Object.entries(result.outputs)) core.setOutput(name, value);
  if (result.save) core.saveState(STATE.saveBlobs, JSON.stringify(result.save));
  // A runner without a job summary (a local run) still gets the outputs: the summary never fails the step.
  await core.summary
    .addRaw(result.summary)
    .write()
    .catch((err: unknown) => core.debug(`no job summary written: ${messageOf(err)}`));
}
