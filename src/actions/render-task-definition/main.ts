import * as core from '@actions/core';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { createAwsClient } from '../../lib/aws.ts';
import { getInputs } from './inputs.ts';
import { OUTPUT } from './names.ts';
import { render, writeRendered } from './pipeline.ts';
import { renderSummary } from './summary.ts';

export async function main(): Promise<void> {
  const inputs = getInputs();
  const result = await render(inputs, {
    ecs: () => createAwsClient(ECSClient, inputs.aws),
    ecr: () => createAwsClient(ECRClient, inputs.aws),
  });
  const file = writeRendered(result.definition, result.family);
  core.setOutput(OUTPUT.taskDefinition, file);
  core.setOutput(OUTPUT.family, result.family);
  core.setOutput(OUTPUT.images, JSON.stringify(result.images));
  for (const { container, from, to } of result.pinned)
    core.info(`${container}: pinned ${from} → ${to}`);
  const count = result.changes.length;
  core.info(
    `Rendered ${result.family} to ${file} (${count} change${count === 1 ? '' : 's'} against ${result.comparedWith})`,
  );
  await core.summary
    .addRaw(
      renderSummary({
        family: result.family,
        file,
        comparedWith: result.comparedWith,
        definition: result.definition,
        changes: result.changes,
        pinned: result.pinned,
      }),
    )
    .write();
}
