// Pure decisions before RunTask: which container the step is about, what the RunTask request
// says (copied from the service, overridden by inputs), and where the container's logs are.
import type {
  AwsVpcConfiguration,
  ContainerDefinition,
  ContainerOverride,
  RunTaskRequest,
  Service,
} from '@aws-sdk/client-ecs';
import { InputError } from '../../lib/errors.ts';
import type { NetworkInputs } from './inputs.ts';
import { INPUT } from './names.ts';

/**
 * The container whose command is overridden, whose exit code decides the step and whose log is
 * streamed: the one named, else the first essential one (ECS's default for `essential` is true).
 */
export function pickContainer(
  containers: ContainerDefinition[],
  name: string | undefined,
  where = 'the task definition',
): ContainerDefinition {
  const names = containers.map((c) => c.name ?? '');
  if (name !== undefined) {
    const found = containers.find((c) => c.name === name);
    if (found) return found;
    throw new InputError(
      INPUT.containerName,
      `no container '${name}' in ${where} (its containers: ${names.join(', ')})`,
    );
  }
  const chosen = containers.find((c) => c.essential !== false) ?? containers[0];
  if (chosen === undefined) throw new InputError(INPUT.containerName, `${where} has no containers`);
  return chosen;
}

export function containerOverride(
  name: string,
  command: string[] | undefined,
  environment: Array<[string, string]>,
): ContainerOverride | undefined {
  if (command === undefined && environment.length === 0) return undefined;
  return {
    name,
    ...(command !== undefined ? { command } : {}),
    ...(environment.length > 0
      ? { environment: environment.map(([key, value]) => ({ name: key, value })) }
      : {}),
  };
}

export interface RequestParts {
  cluster: string;
  taskDefinitionArn: string;
  count: number;
  network: NetworkInputs;
  service?: Service;
  override?: ContainerOverride;
  /** Names this step's tasks, so the post step can find them even if RunTask's answer was lost. */
  startedBy: string;
  /** Makes RunTask idempotent: a retried request does not start the tasks twice. */
  clientToken: string;
}

const MAX_TAGS = 50;

/** What the service runs with, unless an input says otherwise. */
export function runTaskRequest(parts: RequestParts): RunTaskRequest {
  const { service, network } = parts;
  const copied = service?.networkConfiguration?.awsvpcConfiguration;
  const securityGroups = network.securityGroups ?? copied?.securityGroups;
  const awsvpc: AwsVpcConfiguration = {
    subnets: network.subnets ?? copied?.subnets ?? [],
    ...(securityGroups !== undefined && securityGroups.length > 0 ? { securityGroups } : {}),
    assignPublicIp: network.assignPublicIp ?? copied?.assignPublicIp ?? 'DISABLED',
  };
  const strategy = service?.capacityProviderStrategy ?? [];
  // Keys starting with aws: belong to AWS and cannot be set by a caller.
  const tags = (service?.tags ?? [])
    .filter((t) => t.key !== undefined && !t.key.toLowerCase().startsWith('aws:'))
    .slice(0, MAX_TAGS);
  return {
    cluster: parts.cluster,
    taskDefinition: parts.taskDefinitionArn,
    count: parts.count,
    startedBy: parts.startedBy,
    clientToken: parts.clientToken,
    networkConfiguration: { awsvpcConfiguration: awsvpc },
    ...(strategy.length > 0
      ? { capacityProviderStrategy: strategy }
      : { launchType: service?.launchType ?? 'FARGATE' }),
    ...(service?.platformVersion ? { platformVersion: service.platformVersion } : {}),
    ...(parts.override ? { overrides: { containerOverrides: [parts.override] } } : {}),
    ...(tags.length > 0 ? { tags } : {}),
  };
}

/** Where the awslogs driver writes a container's output. */
export interface LogTarget {
  group: string;
  region: string;
  prefix: string;
}

export function logTarget(
  container: ContainerDefinition,
  defaultRegion: string,
): LogTarget | { problem: string } {
  const name = container.name ?? '';
  const config = container.logConfiguration;
  if (config === undefined) return { problem: `container '${name}' has no log configuration` };
  if (config.logDriver !== 'awslogs') {
    return { problem: `container '${name}' logs through ${config.logDriver}, not awslogs` };
  }
  const options = config.options ?? {};
  const group = options['awslogs-group'];
  const prefix = options['awslogs-stream-prefix'];
  if (!group) return { problem: `container '${name}' has no awslogs-group` };
  if (!prefix) return { problem: `container '${name}' has no awslogs-stream-prefix` };
  return { group, prefix, region: options['awslogs-region'] || defaultRegion };
}

export function taskId(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

/** The awslogs driver's stream name on Fargate: `prefix/container/task-id`. */
export function logStreamName(target: LogTarget, container: string, taskArn: string): string {
  return `${target.prefix}/${container}/${taskId(taskArn)}`;
}

/** The CloudWatch console's page for one stream; its fragment escapes `%` as `$25`. */
export function logConsoleUrl(region: string, group: string, stream: string): string {
  const part = (text: string) => encodeURIComponent(text).replace(/%/g, '$25');
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${part(group)}/log-events/${part(stream)}`;
}
