import {
  type ContainerDefinition,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { ActionError, errorName, messageOf } from '../../lib/errors.ts';
import type { Log } from '../../lib/log.ts';
import { sameTaskDefinition, shortTaskDefinition } from '../../lib/task-definition.ts';
import type { RunTaskInputs } from './inputs.ts';
import { INPUT } from './names.ts';

export interface ResolvedTaskDefinition {
  arn: string;
  containers: ContainerDefinition[];
  /** Registered by this step (false: an existing revision is run). */
  registered: boolean;
}

const REFUSED = new Set(['ClientException', 'InvalidParameterException']);

async function describe(
  ecs: Pick<ECSClient, 'send'>,
  ref: string,
): Promise<TaskDefinition | undefined> {
  try {
    const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }));
    return out.taskDefinition;
  } catch (err) {
    // ECS answers ClientException for a family or revision it does not have.
    if (errorName(err) === 'ClientException') return undefined;
    throw err;
  }
}

/**
 * The revision to run. A file is compared with the family's latest ACTIVE revision and only
 * registered when it differs, so re-running a step (or running a migration and then deploying
 * the same file) does not pile up identical revisions.
 */
export async function resolveTaskDefinition(
  ecs: Pick<ECSClient, 'send'>,
  source: RunTaskInputs['taskDefinition'],
  log: Log,
): Promise<ResolvedTaskDefinition> {
  if (source.kind === 'arn') {
    const td = await describe(ecs, source.ref);
    if (td?.taskDefinitionArn === undefined) {
      throw new ActionError(
        `${INPUT.taskDefinitionArn}: task definition '${source.ref}' not found (is it in this region and account?)`,
      );
    }
    return {
      arn: td.taskDefinitionArn,
      containers: td.containerDefinitions ?? [],
      registered: false,
    };
  }
  const { request, file } = source.file;
  const live = await describe(ecs, request.family!);
  if (live?.taskDefinitionArn !== undefined && sameTaskDefinition(request, live)) {
    log.info(
      `The task definition is the same as the latest ${shortTaskDefinition(live.taskDefinitionArn)}: not registering a copy`,
    );
    return {
      arn: live.taskDefinitionArn,
      containers: live.containerDefinitions ?? [],
      registered: false,
    };
  }
  let registered: TaskDefinition | undefined;
  try {
    registered = (await ecs.send(new RegisterTaskDefinitionCommand(request))).taskDefinition;
  } catch (err) {
    if (REFUSED.has(errorName(err) ?? '')) {
      throw new ActionError(`${INPUT.taskDefinition}: ECS refused ${file}: ${messageOf(err)}`);
    }
    throw err;
  }
  if (registered?.taskDefinitionArn === undefined) {
    throw new ActionError('RegisterTaskDefinition returned no task definition ARN');
  }
  log.info(`Registered ${shortTaskDefinition(registered.taskDefinitionArn)}`);
  return {
    arn: registered.taskDefinitionArn,
    containers: registered.containerDefinitions ?? request.containerDefinitions ?? [],
    registered: true,
  };
}
