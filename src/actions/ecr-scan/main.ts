import { ECRClient } from '@aws-sdk/client-ecr';
import { createAwsClient } from '../../lib/aws.ts';
import { runnerContext } from '../../lib/context.ts';
import { createOctokit } from '../../lib/github.ts';
import { actionInputs } from '../../lib/inputs.ts';
import { actionsLog } from '../../lib/log.ts';
import { writeResult } from '../../lib/result.ts';
import { getInputs } from './inputs.ts';
import { run } from './run.ts';

export async function main(): Promise<void> {
  const context = runnerContext();
  const inputs = getInputs(actionInputs, context.workspace, context.eventName);
  const result = await run(inputs, {
    ecr: createAwsClient(ECRClient, inputs.aws),
    github: () => createOctokit(inputs.githubToken, { log: (m) => actionsLog.info(m) }),
    log: actionsLog,
    context,
    now: () => new Date(),
  });
  await writeResult(result);
}
