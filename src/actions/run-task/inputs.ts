import { type AwsOptions, readAwsOptions } from '../../lib/aws.ts';
import { parseCommand } from '../../lib/command.ts';
import { InputError } from '../../lib/errors.ts';
import {
  actionInputs,
  exactlyOne,
  type InputSource,
  optional,
  parseBoolean,
  parseChoice,
  parseDuration,
  parseInteger,
  resolveFile,
  workspaceDir,
} from '../../lib/inputs.ts';
import {
  isTaskDefinitionRef,
  NAME_PATTERN,
  NAME_RULE,
  parseEnvironmentVariables,
  readTaskDefinitionFile,
  type TaskDefinitionFile,
} from '../../lib/task-definition.ts';
import { ASSIGN_PUBLIC_IP, INPUT, ON_CANCEL, type OnCancel } from './names.ts';
import { containerOverride, pickContainer } from './plan.ts';

export interface NetworkInputs {
  subnets?: string[];
  securityGroups?: string[];
  assignPublicIp?: (typeof ASSIGN_PUBLIC_IP)[number];
}

export interface RunTaskInputs {
  /** A file to register unless the family's latest revision is the same, or a registered revision. */
  taskDefinition: { kind: 'file'; file: TaskDefinitionFile } | { kind: 'arn'; ref: string };
  cluster: string;
  /** A service whose network, capacity, platform version and tags the task copies. */
  service?: string;
  network: NetworkInputs;
  containerName?: string;
  command?: string[];
  environment: Array<[string, string]>;
  count: number;
  timeoutMs: number;
  logs: boolean;
  onCancel: OnCancel;
  pollIntervalMs: number;
  aws: AwsOptions;
}

const NAME =
  /^(?:arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:(?:cluster|service)\/)?[A-Za-z0-9_/-]{1,255}$/;
const SUBNET = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP = /^sg-[0-9a-f]{8,17}$/;
/** What ECS accepts for all container overrides of one RunTask, as JSON. */
export const MAX_OVERRIDES_LENGTH = 8192;

function parseIdList(name: string, raw: string, pattern: RegExp, what: string, max: number) {
  const ids = raw.split(/[\s,]+/).filter(Boolean);
  for (const id of ids) {
    if (!pattern.test(id)) throw new InputError(name, `'${id}' is not ${what}`);
  }
  if (ids.length > max) throw new InputError(name, `at most ${max} are allowed, got ${ids.length}`);
  return ids;
}

function parseNetwork(source: InputSource, service: string | undefined): NetworkInputs {
  const network: NetworkInputs = {};
  const subnets = parseIdList(
    INPUT.subnets,
    source(INPUT.subnets),
    SUBNET,
    'a subnet id (subnet-0123456789abcdef0)',
    16,
  );
  const groups = parseIdList(
    INPUT.securityGroups,
    source(INPUT.securityGroups),
    SECURITY_GROUP,
    'a security group id (sg-0123456789abcdef0)',
    5,
  );
  const assign = source(INPUT.assignPublicIp);
  if (subnets.length > 0) network.subnets = subnets;
  if (groups.length > 0) network.securityGroups = groups;
  if (assign !== '') {
    network.assignPublicIp = parseChoice(INPUT.assignPublicIp, assign, ASSIGN_PUBLIC_IP);
  }
  if (service === undefined && network.subnets === undefined) {
    throw new InputError(
      INPUT.subnets,
      `is required when no service is given to copy the network configuration from (give ${INPUT.subnets} or ${INPUT.service})`,
    );
  }
  return network;
}

function readTaskDefinition(source: InputSource, workspace: string) {
  const which = exactlyOne({
    [INPUT.taskDefinition]: source(INPUT.taskDefinition),
    [INPUT.taskDefinitionArn]: source(INPUT.taskDefinitionArn),
  });
  if (which === INPUT.taskDefinition) {
    const file = resolveFile(INPUT.taskDefinition, source(INPUT.taskDefinition), workspace);
    return {
      kind: 'file',
      file: readTaskDefinitionFile(INPUT.taskDefinition, file),
    } satisfies RunTaskInputs['taskDefinition'];
  }
  const ref = source(INPUT.taskDefinitionArn);
  if (!isTaskDefinitionRef(ref)) {
    throw new InputError(
      INPUT.taskDefinitionArn,
      `'${ref}' is not a task definition ARN, family:revision or family`,
    );
  }
  return { kind: 'arn', ref } satisfies RunTaskInputs['taskDefinition'];
}

/** Reads and checks every input; nothing here talks to AWS. */
export function getInputs(
  source: InputSource = actionInputs,
  workspace = workspaceDir(),
): RunTaskInputs {
  const taskDefinition = readTaskDefinition(source, workspace);
  const cluster = source(INPUT.cluster) || 'default';
  if (!NAME.test(cluster)) {
    throw new InputError(INPUT.cluster, `'${cluster}' is not a cluster name or ARN`);
  }
  const service = optional(source(INPUT.service));
  if (service !== undefined && !NAME.test(service)) {
    throw new InputError(INPUT.service, `'${service}' is not a service name or ARN`);
  }
  const network = parseNetwork(source, service);

  const containerName = optional(source(INPUT.containerName));
  if (containerName !== undefined && !NAME_PATTERN.test(containerName)) {
    throw new InputError(
      INPUT.containerName,
      `'${containerName}' is not a valid container name (${NAME_RULE})`,
    );
  }
  const target =
    taskDefinition.kind === 'file'
      ? pickContainer(
          taskDefinition.file.request.containerDefinitions ?? [],
          containerName,
          source(INPUT.taskDefinition),
        )
      : undefined;
  const commandText = source(INPUT.command);
  const command = commandText === '' ? undefined : parseCommand(INPUT.command, commandText);
  if (command !== undefined && command.length === 0) {
    throw new InputError(INPUT.command, 'has no words: give the command to run');
  }
  const environment = parseEnvironmentVariables(
    INPUT.environmentVariables,
    source(INPUT.environmentVariables),
  );
  const override = containerOverride(containerName ?? target?.name ?? '', command, environment);
  if (override !== undefined && JSON.stringify([override]).length > MAX_OVERRIDES_LENGTH) {
    throw new InputError(
      command !== undefined ? INPUT.command : INPUT.environmentVariables,
      `the command and environment overrides come to more than the ${MAX_OVERRIDES_LENGTH} characters ECS accepts: put them in the task definition`,
    );
  }

  const timeoutMs = parseDuration(INPUT.timeout, source(INPUT.timeout), '30m');
  if (timeoutMs < 1000) throw new InputError(INPUT.timeout, 'must be at least 1s');
  const pollIntervalMs = parseDuration(INPUT.pollInterval, source(INPUT.pollInterval), '5s');
  if (pollIntervalMs < 100) throw new InputError(INPUT.pollInterval, 'must be at least 100ms');
  if (pollIntervalMs >= timeoutMs) {
    throw new InputError(
      INPUT.pollInterval,
      `must be shorter than the timeout (${source(INPUT.timeout) || '30m'})`,
    );
  }

  const inputs: RunTaskInputs = {
    taskDefinition,
    cluster,
    network,
    environment,
    count: parseInteger(INPUT.count, source(INPUT.count), { min: 1, max: 10, fallback: 1 }),
    timeoutMs,
    logs: parseBoolean(INPUT.logs, source(INPUT.logs), true),
    onCancel: parseChoice(INPUT.onCancel, source(INPUT.onCancel), ON_CANCEL, 'rollback'),
    pollIntervalMs,
    aws: readAwsOptions(source),
  };
  if (service !== undefined) inputs.service = service;
  if (containerName !== undefined) inputs.containerName = containerName;
  if (command !== undefined) inputs.command = command;
  return inputs;
}
