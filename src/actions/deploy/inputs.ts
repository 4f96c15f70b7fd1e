import { readFileSync } from 'node:fs';
import type { AwsOptions } from '../../lib/aws.ts';
import { readAwsOptions } from '../../lib/aws.ts';
import { parseDocumentText } from '../../lib/documents.ts';
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
  parseKeyValueLines,
  required,
  resolveFile,
  workspaceDir,
} from '../../lib/inputs.ts';
import {
  isTaskDefinitionRef,
  readTaskDefinitionFile,
  type TaskDefinitionFile,
} from '../../lib/task-definition.ts';
import { INPUT } from './names.ts';
import { HOOK_NAMES, type HookName, WAIT_UNTIL, type WaitUntil } from './types.ts';

export interface TestGate {
  url: string;
  expectStatus: number[];
  requests: number;
  timeoutMs: number;
}

export interface DeployInputs {
  /** A file to register, or an existing revision (family, family:revision or ARN). */
  taskDefinition: { kind: 'file'; file: TaskDefinitionFile } | { kind: 'arn'; ref: string };
  cluster: string;
  service: string;
  waitUntil: WaitUntil;
  timeoutMs: number;
  rollbackOnTimeout: boolean;
  codeDeploy: {
    /** Undefined when not given: the default needs the cluster and service names. */
    application?: string;
    deploymentGroup?: string;
    deploymentConfig?: string;
    appspec?: { file: string; document: Record<string, unknown> };
    containerName?: string;
    containerPort?: number;
    hooks: Array<[HookName, string]>;
    description?: string;
  };
  testGate?: TestGate;
  desiredCount?: number;
  forceNewDeployment: boolean;
  pollIntervalMs: number;
  waitForActive: boolean;
  aws: AwsOptions;
}

/** The inputs that only make sense for a CodeDeploy-controlled service, when given. */
export function codeDeployOnlyInputs(inputs: DeployInputs): string[] {
  const given: string[] = [];
  const cd = inputs.codeDeploy;
  if (cd.application !== undefined) given.push(INPUT.codedeployApplication);
  if (cd.deploymentGroup !== undefined) given.push(INPUT.codedeployDeploymentGroup);
  if (cd.deploymentConfig !== undefined) given.push(INPUT.codedeployDeploymentConfig);
  if (cd.appspec !== undefined) given.push(INPUT.appspec);
  if (cd.containerName !== undefined) given.push(INPUT.containerName);
  if (cd.containerPort !== undefined) given.push(INPUT.containerPort);
  if (cd.hooks.length > 0) given.push(INPUT.hooks);
  if (inputs.testGate !== undefined) given.push(INPUT.testUrl);
  return given;
}

const NAME =
  /^(?:arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:(?:cluster|service)\/)?[A-Za-z0-9_/-]{1,255}$/;
const LAMBDA =
  /^(?:arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,140}(?::[A-Za-z0-9$_-]+)?$/;

function parseHooks(raw: string): Array<[HookName, string]> {
  const pairs = parseKeyValueLines(INPUT.hooks, raw, { allowEmptyValue: false });
  return pairs.map(([name, fn]) => {
    if (!(HOOK_NAMES as readonly string[]).includes(name)) {
      throw new InputError(
        INPUT.hooks,
        `unknown hook '${name}' (ECS hooks are ${HOOK_NAMES.join(', ')})`,
      );
    }
    if (!LAMBDA.test(fn)) {
      throw new InputError(INPUT.hooks, `${name}: '${fn}' is not a Lambda function name or ARN`);
    }
    return [name as HookName, fn];
  });
}

function parseStatusList(raw: string): number[] {
  const parts = raw.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) throw new InputError(INPUT.testExpectStatus, 'is required');
  return parts.map((part) => parseInteger(INPUT.testExpectStatus, part, { min: 100, max: 599 }));
}

function parseTestUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(INPUT.testUrl, `'${raw}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(INPUT.testUrl, `must be an http:// or https:// URL, got '${raw}'`);
  }
  return url.toString();
}

function readAppSpec(raw: string, workspace: string) {
  const file = resolveFile(INPUT.appspec, raw, workspace);
  const document = parseDocumentText(INPUT.appspec, readFileSync(file, 'utf8'), raw);
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new InputError(INPUT.appspec, `${raw}: must be a JSON/YAML mapping`);
  }
  return { file, document: document as Record<string, unknown> };
}

/** Reads and validates every input; nothing here talks to AWS. */
export function getInputs(
  source: InputSource = actionInputs,
  workspace = workspaceDir(),
): DeployInputs {
  const which = exactlyOne({
    [INPUT.taskDefinition]: source(INPUT.taskDefinition),
    [INPUT.taskDefinitionArn]: source(INPUT.taskDefinitionArn),
  });
  let taskDefinition: DeployInputs['taskDefinition'];
  if (which === INPUT.taskDefinition) {
    const file = resolveFile(INPUT.taskDefinition, source(INPUT.taskDefinition), workspace);
    taskDefinition = { kind: 'file', file: readTaskDefinitionFile(INPUT.taskDefinition, file) };
  } else {
    const ref = source(INPUT.taskDefinitionArn);
    if (!isTaskDefinitionRef(ref)) {
      throw new InputError(
        INPUT.taskDefinitionArn,
        `'${ref}' is not a task definition ARN, family:revision or family`,
      );
    }
    taskDefinition = { kind: 'arn', ref };
  }

  const cluster = source(INPUT.cluster) || 'default';
  if (!NAME.test(cluster))
    throw new InputError(INPUT.cluster, `'${cluster}' is not a cluster name or ARN`);
  const service = required(INPUT.service, source(INPUT.service));
  if (!NAME.test(service))
    throw new InputError(INPUT.service, `'${service}' is not a service name or ARN`);

  const waitUntil = parseChoice(INPUT.waitUntil, source(INPUT.waitUntil), WAIT_UNTIL, 'deployed');
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

  const appspecRaw = source(INPUT.appspec);
  const appspec = appspecRaw === '' ? undefined : readAppSpec(appspecRaw, workspace);
  const hooks = parseHooks(source(INPUT.hooks));
  if (appspec && hooks.length > 0 && appspec.document.Hooks !== undefined) {
    throw new InputError(
      INPUT.hooks,
      `the appspec file ${appspecRaw} has its own Hooks: give hooks in one place`,
    );
  }
  const portRaw = source(INPUT.containerPort);
  const containerPort =
    portRaw === '' ? undefined : parseInteger(INPUT.containerPort, portRaw, { min: 1, max: 65535 });

  const testUrl = source(INPUT.testUrl);
  let testGate: TestGate | undefined;
  if (testUrl !== '') {
    if (waitUntil === 'none') {
      throw new InputError(
        INPUT.testUrl,
        'the test-traffic gate needs wait-until ready, deployed or complete, not none',
      );
    }
    testGate = {
      url: parseTestUrl(testUrl),
      expectStatus: parseStatusList(source(INPUT.testExpectStatus) || '200'),
      requests: parseInteger(INPUT.testRequests, source(INPUT.testRequests), {
        min: 1,
        max: 1000,
        fallback: 10,
      }),
      timeoutMs: parseDuration(INPUT.testTimeout, source(INPUT.testTimeout), '10s'),
    };
  }

  const desiredRaw = source(INPUT.desiredCount);
  const desiredCount =
    desiredRaw === ''
      ? undefined
      : parseInteger(INPUT.desiredCount, desiredRaw, { min: 0, max: 5000 });

  const codeDeploy: DeployInputs['codeDeploy'] = { hooks };
  const application = optional(source(INPUT.codedeployApplication));
  const deploymentGroup = optional(source(INPUT.codedeployDeploymentGroup));
  const deploymentConfig = optional(source(INPUT.codedeployDeploymentConfig));
  const containerName = optional(source(INPUT.containerName));
  const description = optional(source(INPUT.description));
  if (application !== undefined) codeDeploy.application = application;
  if (deploymentGroup !== undefined) codeDeploy.deploymentGroup = deploymentGroup;
  if (deploymentConfig !== undefined) codeDeploy.deploymentConfig = deploymentConfig;
  if (appspec !== undefined) codeDeploy.appspec = appspec;
  if (containerName !== undefined) codeDeploy.containerName = containerName;
  if (containerPort !== undefined) codeDeploy.containerPort = containerPort;
  if (description !== undefined) {
    if (description.length > 1024)
      throw new InputError(INPUT.description, 'must be at most 1024 characters');
    codeDeploy.description = description;
  }

  const inputs: DeployInputs = {
    taskDefinition,
    cluster,
    service,
    waitUntil,
    timeoutMs,
    rollbackOnTimeout: parseBoolean(INPUT.rollbackOnTimeout, source(INPUT.rollbackOnTimeout), true),
    codeDeploy,
    forceNewDeployment: parseBoolean(
      INPUT.forceNewDeployment,
      source(INPUT.forceNewDeployment),
      false,
    ),
    pollIntervalMs,
    waitForActive: parseBoolean(INPUT.waitForActive, source(INPUT.waitForActive), false),
    aws: readAwsOptions(source),
  };
  if (testGate !== undefined) inputs.testGate = testGate;
  if (desiredCount !== undefined) inputs.desiredCount = desiredCount;
  return inputs;
}

/** The last path segment of a cluster or service name/ARN. */
export function resourceName(nameOrArn: string): string {
  return nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1);
}

export function defaultApplicationName(cluster: string, service: string): string {
  return `AppECS-${resourceName(cluster)}-${resourceName(service)}`;
}

export function defaultDeploymentGroupName(cluster: string, service: string): string {
  return `DgpECS-${resourceName(cluster)}-${resourceName(service)}`;
}
