import {
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandOutput,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { ActionError } from '../../lib/errors.ts';
import { stripReadOnly, type TaskDefinitionDocument } from './document.ts';
import { INPUT } from './names.ts';

export interface LiveDefinition {
  /** The registered definition as RegisterTaskDefinition would accept it, tags included. */
  definition: TaskDefinitionDocument;
  /** `family:revision` of what was read. */
  revision: string;
}

/** Reads a registered task definition and its tags from ECS. */
export async function readLiveDefinition(
  ecs: ECSClient,
  reference: string,
): Promise<LiveDefinition> {
  let response: DescribeTaskDefinitionCommandOutput;
  try {
    response = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: reference, include: ['TAGS'] }),
    );
  } catch (err) {
    // ECS answers ClientException for a family or revision it does not know.
    if ((err as { name?: string }).name === 'ClientException') {
      throw new ActionError(
        `${INPUT.taskDefinitionFamily}: cannot read '${reference}' from ECS: ${(err as Error).message}`,
      );
    }
    throw err;
  }
  const live = response.taskDefinition;
  if (!live) {
    throw new ActionError(
      `${INPUT.taskDefinitionFamily}: ECS returned no task definition for '${reference}'`,
    );
  }
  const definition = stripReadOnly({ ...live } as TaskDefinitionDocument);
  if (response.tags && response.tags.length > 0) definition.tags = response.tags;
  return { definition, revision: `${live.family}:${live.revision}` };
}
