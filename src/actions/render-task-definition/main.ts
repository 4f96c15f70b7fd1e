import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { createAwsClient } from '../../lib/aws.ts';
import { runnerContext } from '../../lib/context.ts';
import { actionInputs } from '../../lib/inputs.ts';
import { actionsLog } from '../../lib/log.ts';
import { writeResult } from '../../lib/result.ts';
import { getInputs } from './inputs.ts';
import { run } from './run.ts';

export async function main(): Promise<void> {
  const context = runnerContext();
  const inputs = getInputs(actionInputs, context.workspace);
  const result = await run(inputs, {
    ecs: () => createAwsClient(ECSClient, inputs.aws),
    ecr: () => createAwsClient(ECRClient, inputs.aws),
    log: actionsLog,
    context,
  });
  await writeResult(result);
}
