import * as core from '@actions/core';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { ECSClient } from '@aws-sdk/client-ecs';
import { createAwsClient, resolveRegion } from '../../lib/aws.ts';
import { ActionError } from '../../lib/errors.ts';
import { deploy } from './deploy.ts';
import { getInputs, resourceName } from './inputs.ts';
import { OUTPUT } from './names.ts';
import { renderSummary } from './summary.ts';
import type { DeployResult, Logger } from './types.ts';

const log: Logger = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  startGroup: (title) => core.startGroup(title),
  endGroup: () => core.endGroup(),
};

export function writeOutputs(result: DeployResult): void {
  core.setOutput(OUTPUT.taskDefinitionArn, result.taskDefinitionArn);
  core.setOutput(OUTPUT.deploymentId, result.deploymentId);
  core.setOutput(OUTPUT.controller, result.controller);
  core.setOutput(OUTPUT.strategy, result.strategy);
  core.setOutput(OUTPUT.status, result.status);
  core.setOutput(OUTPUT.durationSeconds, String(result.durationSeconds));
  core.setOutput(OUTPUT.phases, JSON.stringify(result.phases));
  core.setOutput(OUTPUT.rolledBack, String(result.rolledBack));
}

export async function main(): Promise<void> {
  const inputs = getInputs();
  const region = resolveRegion(inputs.aws.region);
  const clients = {
    ecs: createAwsClient(ECSClient, inputs.aws),
    codedeploy: createAwsClient(CodeDeployClient, inputs.aws),
  };
  const result = await deploy(clients, inputs, { log, region });
  writeOutputs(result);
  const target = `${resourceName(inputs.cluster)}/${resourceName(inputs.service)}`;
  await core.summary.addRaw(renderSummary(result, target)).write();
  if (result.failure) throw new ActionError(result.failure);
}
