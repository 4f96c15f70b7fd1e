import type { RunnerContext } from '../../lib/context.ts';
import type { Log } from '../../lib/log.ts';
import type { ActionResult, OutputName } from '../../lib/result.ts';
import { changedItems } from './diff.ts';
import type { RenderInputs } from './inputs.ts';
import { OUTPUT } from './names.ts';
import { type Clients, render, writeRendered } from './pipeline.ts';
import { renderSummary } from './summary.ts';

export interface Deps extends Clients {
  log: Log;
  context: RunnerContext;
}

/** Renders, writes the file under the runner's temp dir, and says what became of it. */
export async function run(
  inputs: RenderInputs,
  deps: Deps,
): Promise<ActionResult<OutputName<typeof OUTPUT>>> {
  const result = await render(inputs, deps);
  const file = writeRendered(result.definition, result.family, deps.context.tempDir);
  for (const { container, from, to } of result.pinned) {
    deps.log.info(`${container}: pinned ${from} → ${to}`);
  }
  const count = changedItems(result.changes);
  deps.log.info(
    `Rendered ${result.family} to ${file} (${count} change${count === 1 ? '' : 's'} against ${result.comparedWith})`,
  );
  return {
    outputs: {
      [OUTPUT.taskDefinition]: file,
      [OUTPUT.family]: result.family,
      [OUTPUT.images]: JSON.stringify(result.images),
    },
    summary: renderSummary({
      family: result.family,
      file,
      comparedWith: result.comparedWith,
      definition: result.definition,
      changes: result.changes,
      pinned: result.pinned,
      showValues: inputs.showValues,
    }),
  };
}
