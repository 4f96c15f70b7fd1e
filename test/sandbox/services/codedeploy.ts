// AWS CodeDeploy simulator for the ECS compute platform: blue/green deployments driven
// through an AppSpec, with lifecycle hooks, the ready wait, traffic shifting by deployment
// config, the termination wait, stop and automatic rollback. The replacement task set is a
// real task set on the ECS simulator, so DescribeServices tells the same story.

import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { epochSeconds, type SimContext } from '../clock.ts';
import { AwsError, type AwsServiceModule } from '../types.ts';
import type { EcsModule, ServiceRecord, TaskSetRecord } from './ecs.ts';

type Json = Record<string, unknown>;

/** Durations in simulated seconds. */
export interface CodeDeployTimings {
  /** Created → InProgress. */
  start: number;
  /** A lifecycle event with no hook and nothing to wait for. */
  event: number;
  /** A hook's Lambda function run time. */
  hook: number;
  /** AllowTestTraffic: pointing the test listener at the replacement task set. */
  testTraffic: number;
  /** Each production traffic-shift step's own time. */
  trafficShift: number;
  /** Install fails when the replacement task set is not healthy within this time. */
  replacementTimeout: number;
  /** StopDeployment → Stopped. */
  stop: number;
  /** A rollback deployment's run time. */
  rollback: number;
}

export const DEFAULT_CODEDEPLOY_TIMINGS: CodeDeployTimings = {
  start: 5,
  event: 1,
  hook: 30,
  testTraffic: 10,
  trafficShift: 10,
  replacementTimeout: 3600,
  stop: 5,
  rollback: 30,
};

export interface DeploymentGroupScenario {
  name: string;
  ecsServices: { serviceName: string; clusterName: string }[];
  deploymentConfigName?: string;
  serviceRoleArn?: string;
  blueGreenDeploymentConfiguration?: Json;
  loadBalancerInfo?: Json;
  autoRollbackConfiguration?: { enabled?: boolean; events?: string[] };
  alarmConfiguration?: Json;
}

export interface TrafficRoutingConfig {
  type: 'AllAtOnce' | 'TimeBasedCanary' | 'TimeBasedLinear';
  timeBasedCanary?: { canaryPercentage: number; canaryInterval: number };
  timeBasedLinear?: { linearPercentage: number; linearInterval: number };
}

export interface CodeDeployScenario {
  applications?: { name: string; deploymentGroups?: DeploymentGroupScenario[] }[];
  /** Custom deployment configs, beside the `CodeDeployDefault.ECS*` ones. */
  deploymentConfigs?: { name: string; trafficRoutingConfig: TrafficRoutingConfig }[];
  /** Hook Lambda functions (name or ARN) that report `Failed`. */
  failingHooks?: string[];
  /**
   * Deployments (of these groups, or all when `true`) stall in one lifecycle event
   * (default `AllowTraffic`) and never finish on their own.
   */
  neverFinish?: boolean | { deploymentGroups?: string[]; lifecycleEvent?: string };
  timings?: Partial<CodeDeployTimings>;
}

export type DeploymentStatus =
  | 'Created'
  | 'Queued'
  | 'InProgress'
  | 'Baking'
  | 'Ready'
  | 'Succeeded'
  | 'Failed'
  | 'Stopped';

const ACTIVE: readonly DeploymentStatus[] = ['Created', 'Queued', 'InProgress', 'Ready', 'Baking'];

export const ECS_LIFECYCLE_EVENTS = [
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'AllowTestTraffic',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic',
] as const;
export type EventName = (typeof ECS_LIFECYCLE_EVENTS)[number];
const HOOK_EVENTS: readonly string[] = [
  'BeforeInstall',
  'AfterInstall',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
];

export interface LifecycleEventRecord {
  lifecycleEventName: EventName;
  status: 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped';
  startTime?: number;
  endTime?: number;
  diagnostics?: Json;
}

export interface AppSpec {
  taskDefinition: string;
  containerName: string;
  containerPort: number;
  platformVersion?: string;
  networkConfiguration?: Json;
  capacityProviderStrategy?: Json[];
  hooks: Partial<Record<EventName, string>>;
}

export interface DeploymentGroupRecord {
  applicationName: string;
  id: string;
  name: string;
  deploymentConfigName: string;
  serviceRoleArn: string;
  ecsServices: { serviceName: string; clusterName: string }[];
  blueGreenDeploymentConfiguration: Json;
  loadBalancerInfo: Json;
  autoRollbackConfiguration: { enabled: boolean; events: string[] };
  alarmConfiguration: Json;
  targetRevision?: Json;
  lastSuccessful?: CodeDeployDeployment;
  lastAttempted?: CodeDeployDeployment;
  /** Which target group of the pair serves production now; flips on every success. */
  blueTargetGroup: number;
}

export interface CodeDeployDeployment {
  id: string;
  applicationName: string;
  deploymentGroupName: string;
  deploymentConfigName: string;
  group: DeploymentGroupRecord;
  service: ServiceRecord;
  status: DeploymentStatus;
  /** Every status with the simulated time it was entered. */
  history: { status: DeploymentStatus; at: number }[];
  createTime: number;
  startTime?: number;
  completeTime?: number;
  errorInformation?: { code: string; message: string };
  revision: Json;
  previousRevision?: Json;
  description?: string;
  creator: 'user' | 'codeDeployRollback';
  rollbackInfo?: Json;
  autoRollbackConfiguration: { enabled: boolean; events: string[] };
  appSpec?: AppSpec;
  lifecycleEvents: LifecycleEventRecord[];
  targetStatus: 'Pending' | 'InProgress' | 'Ready' | 'Succeeded' | 'Failed' | 'Skipped';
  targetUpdatedAt: number;
  blue?: TaskSetRecord;
  green?: TaskSetRecord;
  /** Production traffic on the replacement (green) task set, percent. */
  trafficWeight: number;
  /** Each production weight change with its simulated time. */
  trafficHistory: { weight: number; at: number }[];
  testTrafficOnGreen: boolean;
  waiting?: 'READY_WAIT' | 'TERMINATION_WAIT';
  /** Set once the ready wait is over (continued, or never asked for). */
  readyWaitDone: boolean;
  instanceTerminationWaitTimeStarted: boolean;
  /** Bumped on stop/failure so the pending steps of the old course do nothing. */
  epoch: number;
  resume?: (at: number) => void;
}

export interface CodeDeployState {
  applications: Map<
    string,
    { name: string; id: string; createTime: number; groups: Map<string, DeploymentGroupRecord> }
  >;
  deployments: CodeDeployDeployment[];
  deploymentConfigs: Map<string, TrafficRoutingConfig>;
  failingHooks: Set<string>;
  timings: CodeDeployTimings;
}

export interface CodeDeployModule extends AwsServiceModule {
  readonly name: 'codedeploy';
  readonly state: CodeDeployState;
  setup(): void;
}

const S = 1000;

const BUILTIN_CONFIGS: Record<string, TrafficRoutingConfig> = {
  'CodeDeployDefault.ECSAllAtOnce': { type: 'AllAtOnce' },
  'CodeDeployDefault.ECSCanary10Percent5Minutes': {
    type: 'TimeBasedCanary',
    timeBasedCanary: { canaryPercentage: 10, canaryInterval: 5 },
  },
  'CodeDeployDefault.ECSCanary10Percent15Minutes': {
    type: 'TimeBasedCanary',
    timeBasedCanary: { canaryPercentage: 10, canaryInterval: 15 },
  },
  'CodeDeployDefault.ECSLinear10PercentEvery1Minutes': {
    type: 'TimeBasedLinear',
    timeBasedLinear: { linearPercentage: 10, linearInterval: 1 },
  },
  'CodeDeployDefault.ECSLinear10PercentEvery3Minutes': {
    type: 'TimeBasedLinear',
    timeBasedLinear: { linearPercentage: 10, linearInterval: 3 },
  },
};

// The read calls of a user's tools (ListApplications, GetDeploymentConfig, …): CodeDeploy's
// page size, and the built-in configurations of the other compute platforms, which
// GetDeploymentConfig describes although no ECS deployment group can use them.
const LIST_PAGE = 100;
/** When the `CodeDeployDefault.ECS*` configurations appeared: ECS blue/green's launch. */
const BUILTIN_CREATED = Date.UTC(2018, 10, 27);
const OTHER_BUILTIN_CONFIGS: Record<string, Json> = {
  'CodeDeployDefault.OneAtATime': {
    minimumHealthyHosts: { type: 'HOST_COUNT', value: 1 },
    computePlatform: 'Server',
  },
  'CodeDeployDefault.HalfAtATime': {
    minimumHealthyHosts: { type: 'FLEET_PERCENT', value: 50 },
    computePlatform: 'Server',
  },
  'CodeDeployDefault.AllAtOnce': {
    minimumHealthyHosts: { type: 'FLEET_PERCENT', value: 0 },
    computePlatform: 'Server',
  },
  'CodeDeployDefault.LambdaAllAtOnce': {
    computePlatform: 'Lambda',
    trafficRoutingConfig: { type: 'AllAtOnce' },
  },
  'CodeDeployDefault.LambdaCanary10Percent5Minutes': {
    computePlatform: 'Lambda',
    trafficRoutingConfig: {
      type: 'TimeBasedCanary',
      timeBasedCanary: { canaryPercentage: 10, canaryInterval: 5 },
    },
  },
  'CodeDeployDefault.LambdaLinear10PercentEvery1Minute': {
    computePlatform: 'Lambda',
    trafficRoutingConfig: {
      type: 'TimeBasedLinear',
      timeBasedLinear: { linearPercentage: 10, linearInterval: 1 },
    },
  },
};

function str(params: Json, key: string): string | undefined {
  const v = params[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function pascal(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  const o = obj as Json;
  return o[key] ?? o[key.charAt(0).toLowerCase() + key.slice(1)];
}

function invalidRevision(message: string): AwsError {
  return new AwsError('InvalidRevisionException', message);
}

/** Parses the AppSpec text (JSON or YAML) into what the deployment needs. */
export function parseAppSpec(content: string): AppSpec {
  let doc: unknown;
  try {
    doc = parseYaml(content);
  } catch (error) {
    throw invalidRevision(`The AppSpec file cannot be parsed: ${(error as Error).message}`);
  }
  const resources = pascal(doc, 'Resources');
  if (!Array.isArray(resources) || resources.length !== 1) {
    throw invalidRevision('The AppSpec file must contain exactly one resource in Resources.');
  }
  const resource = Object.values(resources[0] as Json)[0];
  if (pascal(resource, 'Type') !== 'AWS::ECS::Service') {
    throw invalidRevision('The AppSpec resource Type must be AWS::ECS::Service.');
  }
  const props = pascal(resource, 'Properties');
  const taskDefinition = pascal(props, 'TaskDefinition');
  const lb = pascal(props, 'LoadBalancerInfo');
  const containerName = pascal(lb, 'ContainerName');
  const containerPort = Number(pascal(lb, 'ContainerPort'));
  if (typeof taskDefinition !== 'string' || taskDefinition === '') {
    throw invalidRevision('The AppSpec file is missing the TaskDefinition property.');
  }
  if (typeof containerName !== 'string' || !Number.isInteger(containerPort)) {
    throw invalidRevision(
      'The AppSpec file must specify LoadBalancerInfo with ContainerName and ContainerPort.',
    );
  }
  const hooks: Partial<Record<EventName, string>> = {};
  const hookList = pascal(doc, 'Hooks');
  if (hookList !== undefined && !Array.isArray(hookList)) {
    throw invalidRevision('The AppSpec Hooks section must be a list.');
  }
  for (const entry of (hookList as Json[] | undefined) ?? []) {
    for (const [name, fn] of Object.entries(entry)) {
      if (!HOOK_EVENTS.includes(name)) {
        throw invalidRevision(`The AppSpec hook ${name} is not a valid lifecycle event for ECS.`);
      }
      hooks[name as EventName] = String(fn);
    }
  }
  const platformVersion = pascal(props, 'PlatformVersion');
  const network = pascal(props, 'NetworkConfiguration');
  const capacity = pascal(props, 'CapacityProviderStrategy');
  const vpc = pascal(network, 'AwsvpcConfiguration');
  return {
    taskDefinition,
    containerName,
    containerPort,
    hooks,
    ...(typeof platformVersion === 'string' ? { platformVersion } : {}),
    ...(vpc !== undefined
      ? {
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: pascal(vpc, 'Subnets'),
              securityGroups: pascal(vpc, 'SecurityGroups'),
              assignPublicIp: pascal(vpc, 'AssignPublicIp') ?? 'DISABLED',
            },
          },
        }
      : {}),
    ...(Array.isArray(capacity)
      ? {
          capacityProviderStrategy: capacity.map((c) => ({
            capacityProvider: pascal(c, 'CapacityProvider'),
            base: pascal(c, 'Base'),
            weight: pascal(c, 'Weight'),
          })),
        }
      : {}),
  };
}

export function createCodeDeploy(
  scenario: CodeDeployScenario | undefined,
  ctx: SimContext & { ecs: EcsModule },
): CodeDeployModule {
  const { accountId, scheduler, random, ecs } = ctx;
  const timings: CodeDeployTimings = { ...DEFAULT_CODEDEPLOY_TIMINGS, ...scenario?.timings };
  const state: CodeDeployState = {
    applications: new Map(),
    deployments: [],
    deploymentConfigs: new Map(Object.entries(BUILTIN_CONFIGS)),
    failingHooks: new Set(scenario?.failingHooks ?? []),
    timings,
  };
  for (const c of scenario?.deploymentConfigs ?? []) {
    state.deploymentConfigs.set(c.name, c.trafficRoutingConfig);
  }
  const now = () => ctx.clock.now();
  const alnum = (n: number) =>
    Array.from(
      { length: n },
      () => '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'[Math.floor(random() * 36)],
    ).join('');
  const uuid = () => {
    const h = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };

  function setup(): void {
    const at = now();
    for (const app of scenario?.applications ?? []) {
      const groups = new Map<string, DeploymentGroupRecord>();
      state.applications.set(app.name, {
        name: app.name,
        id: uuid(),
        createTime: at - 30 * 86_400 * S,
        groups,
      });
      for (const g of app.deploymentGroups ?? []) {
        for (const s of g.ecsServices) {
          const service = ecs.findService(s.clusterName, s.serviceName);
          if (service === undefined) {
            throw new Error(
              `scenario: deployment group ${g.name} names ECS service ${s.clusterName}/${s.serviceName}, which the ecs section does not define`,
            );
          }
          if (service.deploymentController.type !== 'CODE_DEPLOY') {
            throw new Error(
              `scenario: ECS service ${s.clusterName}/${s.serviceName} must use deploymentController CODE_DEPLOY for group ${g.name}`,
            );
          }
        }
        const configName = g.deploymentConfigName ?? 'CodeDeployDefault.ECSAllAtOnce';
        if (!state.deploymentConfigs.has(configName)) {
          throw new Error(
            `scenario: deployment group ${g.name} uses unknown deployment config ${configName}`,
          );
        }
        groups.set(g.name, {
          applicationName: app.name,
          id: uuid(),
          name: g.name,
          deploymentConfigName: configName,
          serviceRoleArn: g.serviceRoleArn ?? `arn:aws:iam::${accountId}:role/ecsCodeDeployRole`,
          ecsServices: g.ecsServices,
          blueGreenDeploymentConfiguration: g.blueGreenDeploymentConfiguration ?? {
            deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
            terminateBlueInstancesOnDeploymentSuccess: {
              action: 'TERMINATE',
              terminationWaitTimeInMinutes: 5,
            },
          },
          loadBalancerInfo: g.loadBalancerInfo ?? {},
          autoRollbackConfiguration: {
            enabled: g.autoRollbackConfiguration?.enabled ?? false,
            events: g.autoRollbackConfiguration?.events ?? [],
          },
          alarmConfiguration: g.alarmConfiguration ?? {
            enabled: false,
            ignorePollAlarmFailure: false,
            alarms: [],
          },
          blueTargetGroup: 0,
        });
      }
    }
  }

  // ---------- lookups ----------

  function appFor(name: unknown) {
    if (typeof name !== 'string' || name === '') {
      throw new AwsError(
        'ApplicationNameRequiredException',
        'The application name must be specified.',
      );
    }
    const app = state.applications.get(name);
    if (app === undefined) {
      throw new AwsError(
        'ApplicationDoesNotExistException',
        `No application found for name: ${name}`,
      );
    }
    return app;
  }

  function groupFor(appName: unknown, groupName: unknown): DeploymentGroupRecord {
    const app = appFor(appName);
    if (typeof groupName !== 'string' || groupName === '') {
      throw new AwsError(
        'DeploymentGroupNameRequiredException',
        'The deployment group name must be specified.',
      );
    }
    const group = app.groups.get(groupName);
    if (group === undefined) {
      throw new AwsError(
        'DeploymentGroupDoesNotExistException',
        `No Deployment Group found for name: ${groupName}`,
      );
    }
    return group;
  }

  function deploymentFor(id: unknown): CodeDeployDeployment {
    if (typeof id !== 'string' || id === '') {
      throw new AwsError('DeploymentIdRequiredException', 'The deployment ID must be specified.');
    }
    if (!/^d-[A-Z0-9]{9}$/.test(id)) {
      throw new AwsError(
        'InvalidDeploymentIdException',
        `Specified DeploymentId is not in the valid format: ${id}`,
      );
    }
    const d = state.deployments.find((x) => x.id === id);
    if (d === undefined) {
      throw new AwsError(
        'DeploymentDoesNotExistException',
        `The deployment ${id} could not be found.`,
      );
    }
    return d;
  }

  // ---------- the course of a deployment ----------

  function setStatus(d: CodeDeployDeployment, status: DeploymentStatus, at: number): void {
    d.status = status;
    d.history.push({ status, at });
    if (status === 'InProgress' && d.startTime === undefined) d.startTime = at;
    if (!ACTIVE.includes(status)) d.completeTime = at;
    d.targetUpdatedAt = at;
    d.targetStatus =
      status === 'Succeeded'
        ? 'Succeeded'
        : status === 'Failed' || status === 'Stopped'
          ? 'Failed'
          : status === 'Ready'
            ? 'Ready'
            : status === 'Created' || status === 'Queued'
              ? 'Pending'
              : 'InProgress';
  }

  function setWeight(d: CodeDeployDeployment, weight: number, at: number): void {
    d.trafficWeight = weight;
    d.trafficHistory.push({ weight, at });
    d.targetUpdatedAt = at;
  }

  function neverFinishesAt(d: CodeDeployDeployment, event: EventName): boolean {
    const nf = scenario?.neverFinish;
    if (nf === undefined || nf === false || d.creator !== 'user') return false;
    const groups = nf === true ? undefined : nf.deploymentGroups;
    const stallAt = (nf === true ? undefined : nf.lifecycleEvent) ?? 'AllowTraffic';
    return stallAt === event && (groups === undefined || groups.includes(d.deploymentGroupName));
  }

  function hookFails(fn: string): boolean {
    return [...state.failingHooks].some(
      (h) => fn === h || fn.endsWith(`:function:${h}`) || h.endsWith(`:function:${fn}`),
    );
  }

  function newDeployment(
    group: DeploymentGroupRecord,
    service: ServiceRecord,
    revision: Json,
    at: number,
    extra: Partial<CodeDeployDeployment>,
  ): CodeDeployDeployment {
    const d: CodeDeployDeployment = {
      id: `d-${alnum(9)}`,
      applicationName: group.applicationName,
      deploymentGroupName: group.name,
      deploymentConfigName: group.deploymentConfigName,
      group,
      service,
      status: 'Created',
      history: [],
      createTime: at,
      revision,
      creator: 'user',
      autoRollbackConfiguration: group.autoRollbackConfiguration,
      lifecycleEvents: ECS_LIFECYCLE_EVENTS.map((name) => ({
        lifecycleEventName: name,
        status: 'Pending',
      })),
      targetStatus: 'Pending',
      targetUpdatedAt: at,
      trafficWeight: 0,
      trafficHistory: [],
      testTrafficOnGreen: false,
      readyWaitDone: false,
      instanceTerminationWaitTimeStarted: false,
      epoch: 0,
      ...(group.targetRevision !== undefined ? { previousRevision: group.targetRevision } : {}),
      ...extra,
    };
    setStatus(d, 'Created', at);
    state.deployments.push(d);
    group.lastAttempted = d;
    return d;
  }

  /** Schedules `run` unless the deployment has changed course since. */
  function step(d: CodeDeployDeployment, at: number, run: (t: number) => void): void {
    const epoch = d.epoch;
    scheduler.at(at, (t) => {
      if (d.epoch === epoch) run(t);
    });
  }

  function event(d: CodeDeployDeployment, name: EventName): LifecycleEventRecord {
    const e = d.lifecycleEvents.find((x) => x.lifecycleEventName === name);
    if (e === undefined) throw new Error(`no lifecycle event ${name}`);
    return e;
  }

  function startEvent(d: CodeDeployDeployment, name: EventName, at: number): LifecycleEventRecord {
    const e = event(d, name);
    e.status = 'InProgress';
    e.startTime = at;
    d.targetUpdatedAt = at;
    return e;
  }

  function endEvent(d: CodeDeployDeployment, name: EventName, at: number): void {
    const e = event(d, name);
    e.status = 'Succeeded';
    e.endTime = at;
    d.targetUpdatedAt = at;
  }

  function run(d: CodeDeployDeployment, index: number, at: number): void {
    const name = ECS_LIFECYCLE_EVENTS[index];
    if (name === undefined) {
      afterTraffic(d, at);
      return;
    }
    if (name === 'BeforeAllowTraffic' && !d.readyWaitDone && readyWait(d, index, at)) return;
    startEvent(d, name, at);
    if (neverFinishesAt(d, name)) return;
    const next = (t: number) => {
      endEvent(d, name, t);
      run(d, index + 1, t);
    };
    const fn = d.appSpec?.hooks[name];
    if (fn !== undefined) {
      step(d, at + timings.hook * S, (t) => {
        if (hookFails(fn)) {
          fail(
            d,
            t,
            name,
            {
              code: 'HOOK_EXECUTION_FAILURE',
              message: `The deployment failed because the ${name} lifecycle event hook ${fn} reported a Failed status.`,
            },
            {
              errorCode: 'ScriptFailed',
              scriptName: fn,
              message: `The Lambda function ${fn} reported a Failed status.`,
              logTail: '',
            },
          );
        } else next(t);
      });
      return;
    }
    switch (name) {
      case 'Install':
        install(d, at, next);
        return;
      case 'AllowTestTraffic': {
        const hasTestRoute = testRoute(d.group) !== undefined;
        step(d, at + (hasTestRoute ? timings.testTraffic : timings.event) * S, (t) => {
          if (hasTestRoute) d.testTrafficOnGreen = true;
          next(t);
        });
        return;
      }
      case 'AllowTraffic':
        shiftTraffic(d, at, next);
        return;
      default:
        step(d, at + timings.event * S, next);
    }
  }

  /** Holds the deployment in Ready when the group asks for a manual reroute. */
  function readyWait(d: CodeDeployDeployment, index: number, at: number): boolean {
    d.readyWaitDone = true;
    const option =
      (d.group.blueGreenDeploymentConfiguration.deploymentReadyOption as Json | undefined) ?? {};
    if (option.actionOnTimeout !== 'STOP_DEPLOYMENT') return false;
    setStatus(d, 'Ready', at);
    d.waiting = 'READY_WAIT';
    d.resume = (t) => {
      d.waiting = undefined;
      d.resume = undefined;
      setStatus(d, 'InProgress', t);
      run(d, index, t);
    };
    const minutes = Number(option.waitTimeInMinutes ?? 0);
    if (minutes > 0) {
      step(d, at + minutes * 60 * S, (t) => {
        if (d.status !== 'Ready') return;
        d.waiting = undefined;
        d.resume = undefined;
        stop(
          d,
          t,
          {
            code: 'TIMEOUT',
            message:
              'The deployment was stopped because traffic was not rerouted to the replacement task set within the specified wait time.',
          },
          d.autoRollbackConfiguration.enabled &&
            d.autoRollbackConfiguration.events.includes('DEPLOYMENT_FAILURE'),
        );
      });
    }
    return true;
  }

  function testRoute(group: DeploymentGroupRecord): unknown {
    const pairs = group.loadBalancerInfo.targetGroupPairInfoList as Json[] | undefined;
    return pairs?.[0]?.testTrafficRoute;
  }

  function install(d: CodeDeployDeployment, at: number, next: (t: number) => void): void {
    const problem = installProblem(d);
    if (problem !== undefined) {
      step(d, at + timings.event * S, (t) =>
        fail(d, t, 'Install', {
          code: 'ECS_UPDATE_ERROR',
          message: `The ECS service cannot be updated due to an unexpected error: Invalid request provided: Create TaskSet: ${problem}`,
        }),
      );
      return;
    }
    const spec = d.appSpec as AppSpec;
    const td = ecs.findTaskDefinition(spec.taskDefinition);
    d.blue = d.service.taskSets.find((ts) => ts.status === 'PRIMARY');
    d.green = ecs.createTaskSet(
      d.service,
      {
        taskDefinition: td?.arn ?? spec.taskDefinition,
        externalId: d.id,
        at,
        ...(spec.platformVersion !== undefined ? { platformVersion: spec.platformVersion } : {}),
        ...(spec.networkConfiguration !== undefined
          ? { networkConfiguration: spec.networkConfiguration }
          : {}),
      },
      {
        onHealthy: (t) => {
          if (d.status === 'InProgress' && event(d, 'Install').status === 'InProgress') next(t);
        },
      },
    );
    step(d, at + timings.replacementTimeout * S, (t) => {
      if (event(d, 'Install').status !== 'InProgress') return;
      fail(d, t, 'Install', {
        code: 'ECS_UPDATE_ERROR',
        message: `The deployment timed out while waiting for the replacement task set to become healthy. This time out period is ${Math.round(timings.replacementTimeout / 60)} minutes.`,
      });
    });
  }

  function installProblem(d: CodeDeployDeployment): string | undefined {
    const spec = d.appSpec;
    if (spec === undefined) return 'The AppSpec is missing.';
    const td = ecs.findTaskDefinition(spec.taskDefinition);
    if (td === undefined || td.status !== 'ACTIVE') {
      return `The task definition ${spec.taskDefinition} does not exist or is not active.`;
    }
    const containers = td.definition.containerDefinitions as Json[];
    const container = containers.find((c) => c.name === spec.containerName);
    if (container === undefined) {
      return `The container ${spec.containerName} does not exist in the task definition.`;
    }
    const ports = ((container.portMappings as Json[] | undefined) ?? []).map(
      (p) => p.containerPort,
    );
    if (!ports.includes(spec.containerPort)) {
      return `The container ${spec.containerName} did not have a container port ${spec.containerPort} defined.`;
    }
    return undefined;
  }

  function shiftTraffic(d: CodeDeployDeployment, at: number, next: (t: number) => void): void {
    const config = state.deploymentConfigs.get(d.deploymentConfigName) ?? { type: 'AllAtOnce' };
    const steps: { after: number; weight: number }[] = [];
    if (config.type === 'TimeBasedCanary' && config.timeBasedCanary) {
      steps.push({ after: 0, weight: config.timeBasedCanary.canaryPercentage });
      steps.push({ after: config.timeBasedCanary.canaryInterval * 60 * S, weight: 100 });
    } else if (config.type === 'TimeBasedLinear' && config.timeBasedLinear) {
      const { linearPercentage, linearInterval } = config.timeBasedLinear;
      for (let w = linearPercentage, i = 0; ; w += linearPercentage, i += 1) {
        steps.push({ after: i * linearInterval * 60 * S, weight: Math.min(100, w) });
        if (w >= 100) break;
      }
    } else {
      steps.push({ after: 0, weight: 100 });
    }
    for (const s of steps) {
      step(d, at + s.after + timings.trafficShift * S, (t) => {
        setWeight(d, s.weight, t);
        if (s.weight < 100) return;
        if (d.green !== undefined) ecs.promoteTaskSet(d.service, d.green, t);
        next(t);
      });
    }
  }

  function afterTraffic(d: CodeDeployDeployment, at: number): void {
    const termination =
      (d.group.blueGreenDeploymentConfiguration.terminateBlueInstancesOnDeploymentSuccess as
        | Json
        | undefined) ?? {};
    const finish = (t: number) => {
      d.waiting = undefined;
      d.resume = undefined;
      if (termination.action !== 'KEEP_ALIVE' && d.blue !== undefined) {
        ecs.removeTaskSet(d.service, d.blue, t);
      }
      succeed(d, t);
    };
    const minutes = Number(termination.terminationWaitTimeInMinutes ?? 0);
    if (minutes <= 0 || termination.action === 'KEEP_ALIVE') {
      finish(at);
      return;
    }
    setStatus(d, 'Baking', at);
    d.instanceTerminationWaitTimeStarted = true;
    d.waiting = 'TERMINATION_WAIT';
    d.resume = finish;
    step(d, at + minutes * 60 * S, (t) => {
      if (d.waiting === 'TERMINATION_WAIT') finish(t);
    });
  }

  function succeed(d: CodeDeployDeployment, at: number): void {
    d.epoch += 1;
    setStatus(d, 'Succeeded', at);
    d.group.lastSuccessful = d;
    d.group.targetRevision = d.revision;
    if (d.creator === 'user') d.group.blueTargetGroup = 1 - d.group.blueTargetGroup;
  }

  /** Puts production (and test) traffic back on the original task set. */
  function restoreBlue(d: CodeDeployDeployment, at: number): void {
    if (d.trafficWeight > 0) setWeight(d, 0, at);
    d.testTrafficOnGreen = false;
    if (d.blue !== undefined && d.blue.status !== 'PRIMARY')
      ecs.promoteTaskSet(d.service, d.blue, at);
    if (d.green !== undefined && !d.green.removed) ecs.removeTaskSet(d.service, d.green, at);
  }

  function skipRemaining(d: CodeDeployDeployment, at: number, failed?: EventName): void {
    for (const e of d.lifecycleEvents) {
      if (e.lifecycleEventName === failed) continue;
      if (e.status === 'InProgress') {
        e.status = 'Failed';
        e.endTime = at;
      } else if (e.status === 'Pending') e.status = 'Skipped';
    }
  }

  function fail(
    d: CodeDeployDeployment,
    at: number,
    name: EventName,
    error: { code: string; message: string },
    diagnostics?: Json,
  ): void {
    d.epoch += 1;
    const e = event(d, name);
    e.status = 'Failed';
    e.endTime = at;
    if (diagnostics !== undefined) e.diagnostics = diagnostics;
    skipRemaining(d, at, name);
    d.errorInformation = error;
    d.waiting = undefined;
    d.resume = undefined;
    setStatus(d, 'Failed', at);
    const roll =
      d.autoRollbackConfiguration.enabled &&
      d.autoRollbackConfiguration.events.includes('DEPLOYMENT_FAILURE');
    if (roll) startRollback(d, at);
    else restoreBlue(d, at);
  }

  function stop(
    d: CodeDeployDeployment,
    at: number,
    error: { code: string; message: string },
    roll: boolean,
  ): void {
    d.epoch += 1;
    skipRemaining(d, at);
    d.errorInformation = error;
    d.waiting = undefined;
    d.resume = undefined;
    setStatus(d, 'Stopped', at);
    if (roll) startRollback(d, at);
    else if (d.trafficWeight < 100) restoreBlue(d, at);
  }

  function startRollback(original: CodeDeployDeployment, at: number): void {
    const revision = original.previousRevision ?? original.revision;
    const rb = newDeployment(original.group, original.service, revision, at, {
      creator: 'codeDeployRollback',
      rollbackInfo: {
        rollbackTriggeringDeploymentId: original.id,
        rollbackMessage: `Rollback of deployment ${original.id}: traffic returns to the original task set.`,
      },
    });
    original.rollbackInfo = {
      rollbackDeploymentId: rb.id,
      rollbackMessage: `Deployment ${original.id} was rolled back by deployment ${rb.id}.`,
    };
    rb.blue = original.blue;
    rb.green = original.green;
    rb.trafficWeight = original.trafficWeight;
    step(rb, at + timings.start * S, (t) => {
      setStatus(rb, 'InProgress', t);
      for (const e of rb.lifecycleEvents)
        if (e.lifecycleEventName !== 'AllowTraffic') e.status = 'Skipped';
      startEvent(rb, 'AllowTraffic', t);
      step(rb, t + timings.rollback * S, (done) => {
        restoreBlue(rb, done);
        original.trafficWeight = rb.trafficWeight;
        endEvent(rb, 'AllowTraffic', done);
        rb.epoch += 1;
        setStatus(rb, 'Succeeded', done);
      });
    });
  }

  // ---------- responses ----------

  function revisionOut(revision: Json | undefined): Json | undefined {
    if (revision === undefined) return undefined;
    const content = revision.appSpecContent as Json | undefined;
    if (content === undefined) return revision;
    const text = String(content.content ?? '');
    return {
      ...revision,
      appSpecContent: {
        ...content,
        sha256: content.sha256 ?? createHash('sha256').update(text).digest('hex'),
      },
    };
  }

  function describeDeployment(d: CodeDeployDeployment): Json {
    const overview = { Pending: 0, InProgress: 0, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 0 };
    overview[d.targetStatus] += 1;
    const previous = revisionOut(d.previousRevision);
    return {
      applicationName: d.applicationName,
      deploymentGroupName: d.deploymentGroupName,
      deploymentConfigName: d.deploymentConfigName,
      deploymentId: d.id,
      ...(previous !== undefined ? { previousRevision: previous } : {}),
      revision: revisionOut(d.revision),
      status: d.status,
      ...(d.errorInformation !== undefined ? { errorInformation: d.errorInformation } : {}),
      createTime: epochSeconds(d.createTime),
      ...(d.startTime !== undefined ? { startTime: epochSeconds(d.startTime) } : {}),
      ...(d.completeTime !== undefined ? { completeTime: epochSeconds(d.completeTime) } : {}),
      deploymentOverview: overview,
      ...(d.description !== undefined ? { description: d.description } : {}),
      creator: d.creator,
      ignoreApplicationStopFailures: false,
      autoRollbackConfiguration: d.autoRollbackConfiguration,
      updateOutdatedInstancesOnly: false,
      ...(d.rollbackInfo !== undefined ? { rollbackInfo: d.rollbackInfo } : {}),
      deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      instanceTerminationWaitTimeStarted: d.instanceTerminationWaitTimeStarted,
      blueGreenDeploymentConfiguration: d.group.blueGreenDeploymentConfiguration,
      loadBalancerInfo: d.group.loadBalancerInfo,
      fileExistsBehavior: 'DISALLOW',
      deploymentStatusMessages: [],
      computePlatform: 'ECS',
    };
  }

  function targetGroupName(d: CodeDeployDeployment, label: 'Blue' | 'Green'): string | undefined {
    const pairs = d.group.loadBalancerInfo.targetGroupPairInfoList as Json[] | undefined;
    const groups = (pairs?.[0]?.targetGroups as Json[] | undefined) ?? [];
    const blue = d.group.blueTargetGroup;
    const index = label === 'Blue' ? blue : 1 - blue;
    const name = groups[index]?.name;
    return typeof name === 'string' ? name : undefined;
  }

  function describeTaskSet(
    d: CodeDeployDeployment,
    ts: TaskSetRecord,
    label: 'Blue' | 'Green',
  ): Json {
    const at = now();
    let running = 0;
    let pending = 0;
    for (const t of ts.tasks) {
      if (t.stopAt !== undefined && t.stopAt <= at) continue;
      if (t.runningAt <= at) running += 1;
      else pending += 1;
    }
    const tg = targetGroupName(d, label);
    return {
      identifer: ts.id,
      desiredCount: ts.removed ? 0 : ts.desiredCount,
      pendingCount: pending,
      runningCount: running,
      status: ts.status,
      trafficWeight: label === 'Green' ? d.trafficWeight : 100 - d.trafficWeight,
      ...(tg !== undefined ? { targetGroup: { name: tg } } : {}),
      taskSetLabel: label,
    };
  }

  function describeTarget(d: CodeDeployDeployment, targetId: string): Json {
    const taskSetsInfo: Json[] = [];
    if (d.blue !== undefined) taskSetsInfo.push(describeTaskSet(d, d.blue, 'Blue'));
    if (d.green !== undefined) taskSetsInfo.push(describeTaskSet(d, d.green, 'Green'));
    return {
      deploymentTargetType: 'ECSTarget',
      ecsTarget: {
        deploymentId: d.id,
        targetId,
        targetArn: d.service.arn,
        lastUpdatedAt: epochSeconds(d.targetUpdatedAt),
        lifecycleEvents: d.lifecycleEvents.map((e) => ({
          lifecycleEventName: e.lifecycleEventName,
          ...(e.diagnostics !== undefined ? { diagnostics: e.diagnostics } : {}),
          ...(e.startTime !== undefined ? { startTime: epochSeconds(e.startTime) } : {}),
          ...(e.endTime !== undefined ? { endTime: epochSeconds(e.endTime) } : {}),
          status: e.status,
        })),
        status: d.targetStatus,
        taskSetsInfo,
      },
    };
  }

  function describeGroup(g: DeploymentGroupRecord): Json {
    const last = (d: CodeDeployDeployment | undefined) =>
      d === undefined
        ? undefined
        : {
            deploymentId: d.id,
            status: d.status,
            ...(d.completeTime !== undefined ? { endTime: epochSeconds(d.completeTime) } : {}),
            createTime: epochSeconds(d.createTime),
          };
    const lastSuccessful = last(g.lastSuccessful);
    const lastAttempted = last(g.lastAttempted);
    const target = revisionOut(g.targetRevision);
    return {
      applicationName: g.applicationName,
      deploymentGroupId: g.id,
      deploymentGroupName: g.name,
      deploymentConfigName: g.deploymentConfigName,
      ec2TagFilters: [],
      onPremisesInstanceTagFilters: [],
      autoScalingGroups: [],
      serviceRoleArn: g.serviceRoleArn,
      ...(target !== undefined ? { targetRevision: target } : {}),
      triggerConfigurations: [],
      alarmConfiguration: g.alarmConfiguration,
      autoRollbackConfiguration: g.autoRollbackConfiguration,
      deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      outdatedInstancesStrategy: 'UPDATE',
      blueGreenDeploymentConfiguration: g.blueGreenDeploymentConfiguration,
      loadBalancerInfo: g.loadBalancerInfo,
      ...(lastSuccessful !== undefined ? { lastSuccessfulDeployment: lastSuccessful } : {}),
      ...(lastAttempted !== undefined ? { lastAttemptedDeployment: lastAttempted } : {}),
      computePlatform: 'ECS',
      ecsServices: g.ecsServices,
      terminationHookEnabled: false,
    };
  }

  // ---------- operations ----------

  const operations: Record<string, (params: Json) => unknown> = {
    GetDeploymentGroup(params) {
      const group = groupFor(params.applicationName, params.deploymentGroupName);
      return { deploymentGroupInfo: describeGroup(group) };
    },
    CreateDeployment(params) {
      const group = groupFor(params.applicationName, params.deploymentGroupName);
      const revision = params.revision as Json | undefined;
      if (revision === undefined) {
        throw new AwsError('RevisionRequiredException', 'The revision must be specified.');
      }
      if (revision.revisionType !== 'AppSpecContent') {
        throw invalidRevision(
          'Deployments to the ECS compute platform here support only revisionType AppSpecContent.',
        );
      }
      const content = (revision.appSpecContent as Json | undefined)?.content;
      if (typeof content !== 'string' || content === '') {
        throw invalidRevision('The AppSpec content must be specified.');
      }
      const sha = (revision.appSpecContent as Json).sha256;
      if (typeof sha === 'string' && sha !== createHash('sha256').update(content).digest('hex')) {
        throw invalidRevision(
          'The sha256 hash of the AppSpec content does not match the sha256 provided.',
        );
      }
      const appSpec = parseAppSpec(content);
      const configName = str(params, 'deploymentConfigName') ?? group.deploymentConfigName;
      if (!state.deploymentConfigs.has(configName)) {
        throw new AwsError(
          'DeploymentConfigDoesNotExistException',
          `No deployment configuration found for name: ${configName}`,
        );
      }
      const active = state.deployments.find((d) => d.group === group && ACTIVE.includes(d.status));
      if (active !== undefined) {
        throw new AwsError(
          'DeploymentLimitExceededException',
          `The Deployment Group '${group.name}' already has an active Deployment '${active.id}'`,
        );
      }
      const target = group.ecsServices[0];
      const service = target && ecs.findService(target.clusterName, target.serviceName);
      if (service === undefined) {
        throw new AwsError(
          'InvalidECSServiceException',
          `The ECS service for deployment group ${group.name} does not exist.`,
        );
      }
      const override = params.autoRollbackConfiguration as
        | { enabled?: boolean; events?: string[] }
        | undefined;
      const at = now();
      const d = newDeployment(group, service, revision, at, {
        deploymentConfigName: configName,
        appSpec,
        ...(typeof params.description === 'string' ? { description: params.description } : {}),
        ...(override !== undefined
          ? {
              autoRollbackConfiguration: {
                enabled: override.enabled ?? false,
                events: override.events ?? [],
              },
            }
          : {}),
      });
      step(d, at + timings.start * S, (t) => {
        setStatus(d, 'InProgress', t);
        run(d, 0, t);
      });
      return { deploymentId: d.id };
    },
    GetDeployment(params) {
      return { deploymentInfo: describeDeployment(deploymentFor(params.deploymentId)) };
    },
    GetDeploymentTarget(params) {
      const d = deploymentFor(params.deploymentId);
      const targetId = str(params, 'targetId');
      if (targetId === undefined) {
        throw new AwsError(
          'DeploymentTargetIdRequiredException',
          'A deployment target ID must be specified.',
        );
      }
      const expected = `${d.service.cluster.name}:${d.service.name}`;
      if (targetId !== expected) {
        throw new AwsError(
          'DeploymentTargetDoesNotExistException',
          `The deployment target ${targetId} does not exist.`,
        );
      }
      if (d.status === 'Created' || d.status === 'Queued') {
        throw new AwsError(
          'DeploymentNotStartedException',
          `The deployment ${d.id} has not started.`,
        );
      }
      return { deploymentTarget: describeTarget(d, targetId) };
    },
    ListDeployments(params) {
      let list = state.deployments.slice().reverse();
      if (params.applicationName !== undefined) {
        const app = appFor(params.applicationName);
        list = list.filter((d) => d.applicationName === app.name);
      }
      if (params.deploymentGroupName !== undefined) {
        const group = groupFor(params.applicationName, params.deploymentGroupName);
        list = list.filter((d) => d.group === group);
      }
      if (Array.isArray(params.includeOnlyStatuses)) {
        const statuses = params.includeOnlyStatuses as string[];
        list = list.filter((d) => statuses.includes(d.status));
      }
      const range = (params.createTimeRange as Json | undefined) ?? {};
      if (typeof range.start === 'number')
        list = list.filter((d) => d.createTime >= (range.start as number) * 1000);
      if (typeof range.end === 'number')
        list = list.filter((d) => d.createTime <= (range.end as number) * 1000);
      const start =
        typeof params.nextToken === 'string'
          ? Number(Buffer.from(params.nextToken, 'base64').toString())
          : 0;
      if (!Number.isInteger(start) || start < 0) {
        throw new AwsError(
          'InvalidNextTokenException',
          'The next token was specified in an invalid format.',
        );
      }
      const page = list.slice(start, start + 100);
      const next = start + 100;
      return {
        deployments: page.map((d) => d.id),
        ...(next < list.length ? { nextToken: Buffer.from(String(next)).toString('base64') } : {}),
      };
    },
    ContinueDeployment(params) {
      const d = deploymentFor(params.deploymentId);
      const waitType = str(params, 'deploymentWaitType') ?? 'READY_WAIT';
      if (waitType !== 'READY_WAIT' && waitType !== 'TERMINATION_WAIT') {
        throw new AwsError(
          'InvalidDeploymentWaitTypeException',
          `The wait type ${waitType} is invalid.`,
        );
      }
      if (!ACTIVE.includes(d.status)) {
        throw new AwsError(
          'DeploymentAlreadyCompletedException',
          `The deployment ${d.id} has already completed.`,
        );
      }
      if (d.waiting !== waitType || d.resume === undefined) {
        throw new AwsError(
          'DeploymentIsNotInReadyStateException',
          waitType === 'READY_WAIT'
            ? `The deployment ${d.id} is not in the Ready state.`
            : `The deployment ${d.id} is not waiting to terminate the original task set.`,
        );
      }
      const resume = d.resume;
      const epoch = d.epoch;
      scheduler.at(now(), (t) => {
        if (d.epoch === epoch) resume(t);
      });
      return {};
    },
    StopDeployment(params) {
      const d = deploymentFor(params.deploymentId);
      if (!ACTIVE.includes(d.status)) {
        throw new AwsError(
          'DeploymentAlreadyCompletedException',
          `The deployment ${d.id} has already completed.`,
        );
      }
      const at = now();
      const roll =
        typeof params.autoRollbackEnabled === 'boolean'
          ? params.autoRollbackEnabled
          : d.autoRollbackConfiguration.enabled &&
            d.autoRollbackConfiguration.events.includes('DEPLOYMENT_STOP_ON_REQUEST');
      d.epoch += 1;
      d.waiting = undefined;
      d.resume = undefined;
      const epoch = d.epoch;
      scheduler.at(at + timings.stop * S, (t) => {
        if (d.epoch !== epoch) return;
        stop(
          d,
          t,
          { code: 'MANUAL_STOP', message: 'The deployment was stopped by a user request.' },
          roll,
        );
      });
      return { status: 'Pending', statusMessage: 'Stopping Active Deployment' };
    },
  };

  // ---------- reads a user's own tools make (aws deploy list-applications, …) ----------
  // None of the actions calls these but GetDeploymentConfig; a user pointing the AWS CLI or a
  // script at the sandbox does. CodeDeploy's list calls take no page size: the service pages
  // by 100 and hands back a nextToken.

  function listPage<T>(list: T[], params: Json): { page: T[]; nextToken?: string } {
    const start =
      typeof params.nextToken === 'string'
        ? Number(Buffer.from(params.nextToken, 'base64').toString())
        : 0;
    if (!Number.isInteger(start) || start < 0 || start > list.length) {
      throw new AwsError(
        'InvalidNextTokenException',
        'The next token was specified in an invalid format.',
      );
    }
    const next = start + LIST_PAGE;
    return {
      page: list.slice(start, next),
      ...(next < list.length ? { nextToken: Buffer.from(String(next)).toString('base64') } : {}),
    };
  }

  const configCreated = now() - 30 * 86_400 * S;
  // From the name rather than the seeded random: reads must not shift the ids deployments get.
  const configId = (name: string) => {
    const h = createHash('sha256').update(name).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  };

  function describeConfig(name: string): Json | undefined {
    const ecsConfig = state.deploymentConfigs.get(name);
    if (ecsConfig !== undefined) {
      const builtin = name in BUILTIN_CONFIGS;
      return {
        deploymentConfigId: configId(name),
        deploymentConfigName: name,
        createTime: epochSeconds(builtin ? BUILTIN_CREATED : configCreated),
        computePlatform: 'ECS',
        trafficRoutingConfig: ecsConfig,
      };
    }
    const other = OTHER_BUILTIN_CONFIGS[name];
    if (other === undefined) return undefined;
    return {
      deploymentConfigId: configId(name),
      deploymentConfigName: name,
      createTime: epochSeconds(BUILTIN_CREATED),
      ...other,
    };
  }

  Object.assign(operations, {
    ListApplications(params: Json) {
      const names = [...state.applications.keys()].sort();
      const { page, nextToken } = listPage(names, params);
      return { applications: page, ...(nextToken !== undefined ? { nextToken } : {}) };
    },
    ListDeploymentGroups(params: Json) {
      const app = appFor(params.applicationName);
      const { page, nextToken } = listPage([...app.groups.keys()].sort(), params);
      return {
        applicationName: app.name,
        deploymentGroups: page,
        ...(nextToken !== undefined ? { nextToken } : {}),
      };
    },
    ListDeploymentTargets(params: Json) {
      const d = deploymentFor(params.deploymentId);
      if (d.status === 'Created' || d.status === 'Queued') {
        throw new AwsError(
          'DeploymentNotStartedException',
          `The deployment ${d.id} has not started.`,
        );
      }
      const filters = (params.targetFilters as Record<string, unknown> | undefined) ?? {};
      for (const key of Object.keys(filters)) {
        if (key !== 'TargetStatus' && key !== 'ServerInstanceLabel') {
          throw new AwsError(
            'InvalidDeploymentTargetFilterException',
            `The target filter name ${key} is invalid.`,
          );
        }
      }
      const statuses = filters.TargetStatus as string[] | undefined;
      const labels = filters.ServerInstanceLabel as string[] | undefined;
      // One ECS target per deployment: the service. Instance labels belong to EC2 deployments.
      const matches =
        (statuses === undefined || statuses.includes(d.targetStatus)) &&
        (labels === undefined || labels.length === 0);
      const ids = matches ? [`${d.service.cluster.name}:${d.service.name}`] : [];
      const { page, nextToken } = listPage(ids, params);
      return { targetIds: page, ...(nextToken !== undefined ? { nextToken } : {}) };
    },
    GetDeploymentConfig(params: Json) {
      const name = str(params, 'deploymentConfigName');
      if (name === undefined) {
        throw new AwsError(
          'DeploymentConfigNameRequiredException',
          'The deployment configuration name must be specified.',
        );
      }
      const info = describeConfig(name);
      if (info === undefined) {
        throw new AwsError(
          'DeploymentConfigDoesNotExistException',
          `No deployment configuration found for name: ${name}`,
        );
      }
      return { deploymentConfigInfo: info };
    },
  } satisfies Record<string, (params: Json) => unknown>);

  return {
    name: 'codedeploy',
    targetPrefix: 'CodeDeploy_20141006',
    get state() {
      scheduler.advance();
      return state;
    },
    setup,
    handle(operation, params) {
      const handler = operations[operation];
      if (handler === undefined) {
        throw new AwsError('UnknownOperationException', `Unknown operation ${operation}`);
      }
      return handler(params);
    },
  };
}
