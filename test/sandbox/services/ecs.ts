// Amazon ECS simulator: task definitions, services and their deployments, tasks. Rolling
// updates with the deployment circuit breaker, native blue/green (and linear/canary) service
// deployments, and task sets that the CodeDeploy simulator drives for CODE_DEPLOY services.
// Everything moves on the sandbox's scheduler, so state changes carry their simulated time.

import { epochSeconds, randomHex, type SimContext } from '../clock.ts';
import { AwsError, type AwsServiceModule } from '../types.ts';
import { createRunTasks, type RunTaskScenario, type RunTaskSimulator } from './ecs-run-task.ts';

type Json = Record<string, unknown>;

/** Durations in simulated seconds. */
export interface EcsTimings {
  /** PROVISIONING → PENDING (network interface attached). */
  provision: number;
  /** PENDING → RUNNING (image pulled, containers started). */
  start: number;
  /** RUNNING → healthy in its target group or container health check. */
  healthCheck: number;
  /** How long an unhealthy task runs before it is stopped. */
  unhealthyFor: number;
  /** Deregistration delay: draining before old tasks stop. */
  drain: number;
  /** From the last change until the service reports a steady state. */
  steady: number;
  /** A blue/green lifecycle stage with nothing to wait for. */
  stage: number;
  /** A lifecycle hook's run time. */
  hook: number;
  /** Upper bound of the back-off between attempts to start failing tasks. */
  retryBackoffMax: number;
}

export const DEFAULT_ECS_TIMINGS: EcsTimings = {
  provision: 10,
  start: 30,
  healthCheck: 15,
  unhealthyFor: 30,
  drain: 30,
  steady: 15,
  stage: 5,
  hook: 20,
  retryBackoffMax: 900,
};

export interface EcsServiceScenario {
  name: string;
  /** Family, `family:revision` or ARN; it must be among the scenario's task definitions. */
  taskDefinition: string;
  desiredCount?: number;
  launchType?: string;
  platformVersion?: string;
  capacityProviderStrategy?: Json[];
  deploymentController?: { type: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL' };
  deploymentConfiguration?: Json;
  loadBalancers?: Json[];
  networkConfiguration?: Json;
  healthCheckGracePeriodSeconds?: number;
  tags?: { key: string; value: string }[];
}

export interface EcsScenario {
  clusters?: { name: string; services?: EcsServiceScenario[] }[];
  /**
   * RegisterTaskDefinition inputs, registered in order before the first request. An optional
   * `revision` makes the family start there, as an account with history would.
   */
  taskDefinitions?: Json[];
  /** Images whose tasks never become healthy: exact, or a suffix after `/` (`web:broken`). */
  unhealthyImages?: string[];
  /** Task definitions whose tasks never become healthy: `family` or `family:revision`. */
  unhealthyTaskDefinitions?: string[];
  /** Native blue/green lifecycle hook targets (ARN or function name) that report failure. */
  failingHooks?: string[];
  /** Deployments on these services (all when `true`) never reach their end. */
  neverFinish?: boolean | { services?: string[] };
  timings?: Partial<EcsTimings>;
  /** Standalone tasks (RunTask): what their containers do, pull failures, capacity. */
  runTask?: RunTaskScenario;
}

export interface TaskDefinitionRecord {
  arn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE';
  definition: Json;
  tags: { key?: string; value?: string }[];
  registeredAt: number;
  deregisteredAt?: number;
}

export interface TaskRecord {
  arn: string;
  id: string;
  clusterArn: string;
  taskDefinitionArn: string;
  group: string;
  startedBy: string;
  createdAt: number;
  pendingAt: number;
  runningAt: number;
  stopAt?: number;
  stoppedReason?: string;
  stopCode?: string;
  exitCode?: number;
  containers: { name: string; image: string }[];
  cpu?: string;
  memory?: string;
  launchType: string;
  platformVersion?: string;
}

export type TaskStatus = 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'STOPPED';

export function taskStatus(task: TaskRecord, now: number): TaskStatus {
  if (task.stopAt !== undefined && task.stopAt <= now) return 'STOPPED';
  if (task.runningAt <= now) return 'RUNNING';
  if (task.pendingAt <= now) return 'PENDING';
  return 'PROVISIONING';
}

export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** An entry of `service.deployments[]` for the ECS deployment controller. */
export interface RollingDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  desiredCount: number;
  createdAt: number;
  updatedAt: number;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  failedTasks: number;
  tasks: TaskRecord[];
  /** Every rollout state with the simulated time it was entered. */
  history: { rolloutState: RolloutState; at: number; reason: string }[];
  launchType?: string;
  platformVersion?: string;
  networkConfiguration?: Json;
  capacityProviderStrategy?: Json[];
}

export type ServiceDeploymentStatus =
  | 'PENDING'
  | 'IN_PROGRESS'
  | 'SUCCESSFUL'
  | 'STOPPED'
  | 'STOP_REQUESTED'
  | 'ROLLBACK_REQUESTED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_SUCCESSFUL'
  | 'ROLLBACK_FAILED';

const TERMINAL: readonly ServiceDeploymentStatus[] = [
  'SUCCESSFUL',
  'STOPPED',
  'ROLLBACK_SUCCESSFUL',
  'ROLLBACK_FAILED',
];

export const BLUE_GREEN_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
  'BAKE_TIME',
  'CLEAN_UP',
] as const;
export type LifecycleStage = (typeof BLUE_GREEN_STAGES)[number];

export interface ServiceRevisionRecord {
  arn: string;
  deployment: RollingDeployment;
  testWeight: number;
  productionWeight: number;
}

/** A ListServiceDeployments/DescribeServiceDeployments entry, with its history. */
export interface ServiceDeploymentRecord {
  arn: string;
  service: ServiceRecord;
  strategy: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  stoppedAt?: number;
  updatedAt: number;
  status: ServiceDeploymentStatus;
  statusReason?: string;
  lifecycleStage?: LifecycleStage;
  source: ServiceRevisionRecord[];
  target: ServiceRevisionRecord;
  deploymentConfiguration: Json;
  rollback?: { reason: string; startedAt: number; serviceRevisionArn: string };
  circuitBreaker: { status: string; failureCount: number; threshold: number };
  hookDetails: Json[];
  /** Every status/stage change with its simulated time. */
  history: { status: ServiceDeploymentStatus; lifecycleStage?: LifecycleStage; at: number }[];
  /** Bumped when the deployment is stopped or superseded, so its pending steps do nothing. */
  epoch: number;
}

export interface TaskSetRecord {
  id: string;
  arn: string;
  status: 'PRIMARY' | 'ACTIVE' | 'DRAINING';
  taskDefinition: string;
  externalId?: string;
  startedBy: string;
  createdAt: number;
  updatedAt: number;
  desiredCount: number;
  failedTasks: number;
  tasks: TaskRecord[];
  stabilityStatus: 'STEADY_STATE' | 'STABILIZING';
  stabilityStatusAt: number;
  launchType?: string;
  platformVersion?: string;
  networkConfiguration?: Json;
  loadBalancers: Json[];
  /** Set once the task set is being removed: pending relaunches stop. */
  removed: boolean;
}

export interface ServiceEventRecord {
  id: string;
  createdAt: number;
  message: string;
}

export interface ServiceRecord {
  name: string;
  arn: string;
  cluster: ClusterRecord;
  status: 'ACTIVE';
  desiredCount: number;
  taskDefinition: string;
  deploymentController: { type: string };
  deploymentConfiguration: Json;
  loadBalancers: Json[];
  networkConfiguration?: Json;
  platformVersion?: string;
  launchType?: string;
  capacityProviderStrategy?: Json[];
  healthCheckGracePeriodSeconds?: number;
  createdAt: number;
  tags: { key: string; value: string }[];
  /** Newest first, as DescribeServices returns them. */
  events: ServiceEventRecord[];
  /** All rolling deployments, including INACTIVE ones. */
  deployments: RollingDeployment[];
  taskSets: TaskSetRecord[];
  serviceDeployments: ServiceDeploymentRecord[];
}

export interface ClusterRecord {
  name: string;
  arn: string;
  services: Map<string, ServiceRecord>;
}

export interface EcsState {
  clusters: Map<string, ClusterRecord>;
  taskDefinitions: TaskDefinitionRecord[];
  tasks: TaskRecord[];
  unhealthyImages: Set<string>;
  unhealthyTaskDefinitions: Set<string>;
  failingHooks: Set<string>;
  timings: EcsTimings;
}

export interface LaunchCallbacks {
  /** Every task of the batch is running and healthy. */
  onHealthy(at: number): void;
  /** The batch failed; `failedTasks` is the running total for the owner. */
  onFailed?(at: number, failedTasks: number): void;
}

export interface EcsModule extends AwsServiceModule {
  readonly name: 'ecs';
  readonly state: EcsState;
  /** Runs scenario registrations; call once before serving. */
  setup(): void;
  findTaskDefinition(ref: string): TaskDefinitionRecord | undefined;
  findService(cluster: string, service: string): ServiceRecord | undefined;
  isUnhealthy(taskDefinitionArn: string): boolean;
  addEvent(service: ServiceRecord, at: number, message: string): void;
  /** Starts a task set (CODE_DEPLOY services); failing tasks are retried until it is removed. */
  createTaskSet(
    service: ServiceRecord,
    options: { taskDefinition: string; externalId: string; at: number } & Partial<
      Pick<TaskSetRecord, 'launchType' | 'platformVersion' | 'networkConfiguration'>
    >,
    callbacks: LaunchCallbacks,
  ): TaskSetRecord;
  /** Makes `taskSet` the PRIMARY one: the service now runs its task definition. */
  promoteTaskSet(service: ServiceRecord, taskSet: TaskSetRecord, at: number): void;
  /** Drains and stops a task set's tasks, then removes it. */
  removeTaskSet(service: ServiceRecord, taskSet: TaskSetRecord, at: number): void;
  /** Standalone tasks: RunTask, StopTask and their lifecycle. */
  readonly runTasks: RunTaskSimulator;
}

const S = 1000;

// Fargate's valid task-level cpu/memory pairs (memory in MiB).
const FARGATE_MEMORY: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

function cpuUnits(value: string): number | undefined {
  const vcpu = /^\s*([\d.]+)\s*vcpu\s*$/i.exec(value);
  if (vcpu) return Math.round(Number(vcpu[1]) * 1024);
  return /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}

function memoryMiB(value: string): number | undefined {
  const gb = /^\s*([\d.]+)\s*gb\s*$/i.exec(value);
  if (gb) return Math.round(Number(gb[1]) * 1024);
  return /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}

function str(params: Json, key: string): string | undefined {
  const v = params[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function clientError(message: string): AwsError {
  return new AwsError('ClientException', message);
}

function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function lastSegment(ref: string): string {
  const slash = ref.lastIndexOf('/');
  return slash === -1 ? ref : ref.slice(slash + 1);
}

export function createEcs(scenario: EcsScenario | undefined, ctx: SimContext): EcsModule {
  const { region, accountId, scheduler, random } = ctx;
  const timings: EcsTimings = { ...DEFAULT_ECS_TIMINGS, ...scenario?.timings };
  const state: EcsState = {
    clusters: new Map(),
    taskDefinitions: [],
    tasks: [],
    unhealthyImages: new Set(scenario?.unhealthyImages ?? []),
    unhealthyTaskDefinitions: new Set(scenario?.unhealthyTaskDefinitions ?? []),
    failingHooks: new Set(scenario?.failingHooks ?? []),
    timings,
  };
  const arnPrefix = `arn:aws:ecs:${region}:${accountId}`;
  const now = () => ctx.clock.now();

  // Nineteen digits, as ECS writes them; built digit by digit because doubles cannot hold them.
  const digits = () =>
    String(1 + Math.floor(random() * 9)) +
    Array.from({ length: 18 }, () => Math.floor(random() * 10)).join('');
  const deploymentId = () => `ecs-svc/${digits()}`;
  const taskId = () => randomHex(random, 32);

  // ---------- task definitions ----------

  function findTaskDefinition(ref: string): TaskDefinitionRecord | undefined {
    const name = ref.startsWith('arn:') ? lastSegment(ref) : ref;
    const [family, rev] = name.split(':');
    if (rev !== undefined) {
      return state.taskDefinitions.find((t) => t.family === family && t.revision === Number(rev));
    }
    const active = state.taskDefinitions.filter(
      (t) => t.family === family && t.status === 'ACTIVE',
    );
    return active.at(-1);
  }

  function validateTaskDefinition(params: Json): void {
    const family = str(params, 'family');
    if (family === undefined) throw clientError('Family must not be null or empty.');
    if (!/^[a-zA-Z0-9_-]{1,255}$/.test(family)) {
      throw clientError(
        'Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.',
      );
    }
    const containers = params.containerDefinitions;
    if (!Array.isArray(containers) || containers.length === 0) {
      throw clientError('Container list cannot be empty.');
    }
    const names = new Set<string>();
    for (const c of containers as Json[]) {
      const name = str(c, 'name');
      if (name === undefined) throw clientError('Container.name should not be null or empty.');
      if (names.has(name)) throw clientError(`Duplicate container name: ${name}.`);
      names.add(name);
      if (str(c, 'image') === undefined) {
        throw clientError('Container.image should not be null or empty.');
      }
    }
    const compat = params.requiresCompatibilities;
    if (Array.isArray(compat) && compat.includes('FARGATE')) {
      if (params.networkMode !== 'awsvpc') {
        throw clientError("Fargate only supports network mode 'awsvpc'.");
      }
      const cpu = typeof params.cpu === 'string' ? cpuUnits(params.cpu) : undefined;
      const memory = typeof params.memory === 'string' ? memoryMiB(params.memory) : undefined;
      if (params.cpu === undefined) {
        throw clientError("Fargate requires that 'cpu' be defined at the task level.");
      }
      if (params.memory === undefined) {
        throw clientError("Fargate requires that 'memory' be defined at the task level.");
      }
      if (cpu === undefined || !FARGATE_MEMORY[cpu]?.includes(memory ?? -1)) {
        throw clientError(
          `No Fargate configuration exists for given values: ${String(params.cpu)} CPU, ${String(params.memory)} memory. See the Amazon ECS documentation for the valid values.`,
        );
      }
    }
  }

  function normalizeContainer(c: Json, awsvpc: boolean): Json {
    const out: Json = {
      cpu: 0,
      essential: true,
      environment: [],
      mountPoints: [],
      volumesFrom: [],
      ...clone(c),
    };
    if (Array.isArray(out.portMappings)) {
      out.portMappings = (out.portMappings as Json[]).map((p) => ({
        ...p,
        ...(awsvpc && p.hostPort === undefined ? { hostPort: p.containerPort } : {}),
        protocol: p.protocol ?? 'tcp',
      }));
    } else {
      out.portMappings = [];
    }
    return out;
  }

  function registerTaskDefinition(
    params: Json,
    at: number,
    revision?: number,
  ): TaskDefinitionRecord {
    validateTaskDefinition(params);
    const family = params.family as string;
    const existing = state.taskDefinitions.filter((t) => t.family === family);
    const rev = revision ?? (existing.at(-1)?.revision ?? 0) + 1;
    const arn = `${arnPrefix}:task-definition/${family}:${rev}`;
    const awsvpc = params.networkMode === 'awsvpc';
    const { tags, ...rest } = clone(params);
    const requiresAttributes: Json[] = [
      { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' },
    ];
    if (awsvpc) requiresAttributes.push({ name: 'ecs.capability.task-eni' });
    if (str(params, 'executionRoleArn')) {
      requiresAttributes.push({ name: 'ecs.capability.execution-role-ecr-pull' });
    }
    const definition: Json = {
      ...rest,
      taskDefinitionArn: arn,
      family,
      revision: rev,
      containerDefinitions: (params.containerDefinitions as Json[]).map((c) =>
        normalizeContainer(c, awsvpc),
      ),
      volumes: rest.volumes ?? [],
      placementConstraints: rest.placementConstraints ?? [],
      status: 'ACTIVE',
      requiresAttributes,
      compatibilities: awsvpc ? ['EC2', 'FARGATE'] : ['EC2'],
      registeredBy: `arn:aws:sts::${accountId}:assumed-role/sandbox-deployer/sandbox`,
    };
    const record: TaskDefinitionRecord = {
      arn,
      family,
      revision: rev,
      status: 'ACTIVE',
      definition,
      tags: Array.isArray(tags) ? (tags as { key?: string; value?: string }[]) : [],
      registeredAt: at,
    };
    state.taskDefinitions.push(record);
    return record;
  }

  function describeTaskDefinitionBody(td: TaskDefinitionRecord): Json {
    return {
      ...clone(td.definition),
      status: td.status,
      registeredAt: epochSeconds(td.registeredAt),
      ...(td.deregisteredAt !== undefined
        ? { deregisteredAt: epochSeconds(td.deregisteredAt) }
        : {}),
    };
  }

  function requireTaskDefinition(ref: string | undefined): TaskDefinitionRecord {
    if (ref === undefined) throw clientError('TaskDefinition must not be null or empty.');
    const td = findTaskDefinition(ref);
    if (td === undefined) throw clientError('Unable to describe task definition.');
    return td;
  }

  function isUnhealthy(taskDefinitionArn: string): boolean {
    const td = findTaskDefinition(taskDefinitionArn);
    if (td === undefined) return false;
    if (
      state.unhealthyTaskDefinitions.has(td.family) ||
      state.unhealthyTaskDefinitions.has(`${td.family}:${td.revision}`)
    ) {
      return true;
    }
    const images = (td.definition.containerDefinitions as Json[]).map((c) => String(c.image));
    return images.some((image) =>
      [...state.unhealthyImages].some((p) => image === p || image.endsWith(`/${p}`)),
    );
  }

  // ---------- clusters, services, events ----------

  function clusterFor(ref: unknown): ClusterRecord {
    const name = typeof ref === 'string' && ref !== '' ? lastSegment(ref) : 'default';
    const cluster = state.clusters.get(name);
    if (cluster === undefined) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  function findService(cluster: string, service: string): ServiceRecord | undefined {
    return state.clusters.get(lastSegment(cluster))?.services.get(lastSegment(service));
  }

  function serviceFor(cluster: ClusterRecord, ref: unknown): ServiceRecord {
    if (typeof ref !== 'string' || ref === '') {
      throw invalidParameter('Service must not be null or empty.');
    }
    const service = cluster.services.get(lastSegment(ref));
    if (service === undefined) throw new AwsError('ServiceNotFoundException', 'Service not found.');
    return service;
  }

  function addEvent(service: ServiceRecord, at: number, message: string): void {
    const event = { id: randomUuid(), createdAt: at, message };
    // Scheduled steps run in time order, but an API call stamps `now`, which can be later.
    const index = service.events.findIndex((e) => e.createdAt <= at);
    if (index === -1) service.events.push(event);
    else service.events.splice(index, 0, event);
    if (service.events.length > 100) service.events.length = 100;
  }

  function randomUuid(): string {
    const h = randomHex(random, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }

  const taskList = (tasks: TaskRecord[]) => tasks.map((t) => `(task ${t.id})`).join(' ');

  function neverFinishes(service: ServiceRecord): boolean {
    const nf = scenario?.neverFinish;
    if (nf === true) return true;
    if (nf === undefined || nf === false) return false;
    return nf.services === undefined || nf.services.includes(service.name);
  }

  // ---------- tasks ----------

  function newTask(
    service: ServiceRecord,
    taskDefinitionArn: string,
    startedBy: string,
    at: number,
    healthy: boolean,
  ): TaskRecord {
    const td = findTaskDefinition(taskDefinitionArn);
    const id = taskId();
    const pendingAt = at + timings.provision * S;
    const runningAt = pendingAt + timings.start * S;
    const task: TaskRecord = {
      arn: `${arnPrefix}:task/${service.cluster.name}/${id}`,
      id,
      clusterArn: service.cluster.arn,
      taskDefinitionArn,
      group: `service:${service.name}`,
      startedBy,
      createdAt: at,
      pendingAt,
      runningAt,
      containers: ((td?.definition.containerDefinitions as Json[] | undefined) ?? []).map((c) => ({
        name: String(c.name),
        image: String(c.image),
      })),
      launchType: service.launchType ?? 'FARGATE',
      ...(td?.definition.cpu !== undefined ? { cpu: String(td.definition.cpu) } : {}),
      ...(td?.definition.memory !== undefined ? { memory: String(td.definition.memory) } : {}),
      ...(service.platformVersion !== undefined
        ? { platformVersion: service.platformVersion }
        : {}),
    };
    if (!healthy) {
      task.stopAt = runningAt + timings.unhealthyFor * S;
      const targetGroup = service.loadBalancers[0]?.targetGroupArn;
      if (typeof targetGroup === 'string') {
        task.stoppedReason = `Task failed ELB health checks in (target-group ${targetGroup})`;
        task.stopCode = 'ServiceSchedulerInitiated';
      } else {
        task.stoppedReason = 'Essential container in task exited';
        task.stopCode = 'EssentialContainerExited';
        task.exitCode = 1;
      }
    }
    state.tasks.push(task);
    return task;
  }

  /** A running task that started before the simulation: part of the scenario's steady state. */
  function seedTask(
    service: ServiceRecord,
    taskDefinitionArn: string,
    startedBy: string,
    at: number,
  ) {
    const task = newTask(service, taskDefinitionArn, startedBy, at, true);
    task.createdAt = at - 3600 * S;
    task.pendingAt = task.createdAt + timings.provision * S;
    task.runningAt = task.pendingAt + timings.start * S;
    return task;
  }

  function stopTasks(tasks: TaskRecord[], at: number, reason: string): TaskRecord[] {
    const stopping = tasks.filter((t) => t.stopAt === undefined || t.stopAt > at);
    for (const t of stopping) {
      t.stopAt = at;
      t.stoppedReason = reason;
      t.stopCode = 'ServiceSchedulerInitiated';
    }
    return stopping;
  }

  function liveTasks(tasks: TaskRecord[], at: number): TaskRecord[] {
    return tasks.filter((t) => t.stopAt === undefined || t.stopAt > at);
  }

  /**
   * Launches `count` tasks and reports back when all are healthy, or when the batch failed.
   * Failing batches are relaunched with back-off while `keepTrying()` says so.
   */
  function launch(
    service: ServiceRecord,
    owner: { tasks: TaskRecord[]; failedTasks: number },
    taskDefinition: string,
    startedBy: string,
    count: number,
    at: number,
    label: string,
    callbacks: LaunchCallbacks & { keepTrying(): boolean },
    attempt = 0,
  ): void {
    if (count <= 0) {
      scheduler.at(at, (t) => callbacks.onHealthy(t));
      return;
    }
    const healthy = !isUnhealthy(taskDefinition);
    const tasks = Array.from({ length: count }, () =>
      newTask(service, taskDefinition, startedBy, at, healthy),
    );
    owner.tasks.push(...tasks);
    addEvent(service, at, `(${label}) has started ${tasks.length} tasks: ${taskList(tasks)}.`);
    const runningAt = Math.max(...tasks.map((t) => t.runningAt));
    const targetGroup = service.loadBalancers[0]?.targetGroupArn;
    if (healthy) {
      scheduler.at(runningAt + timings.healthCheck * S, (t) => {
        if (typeof targetGroup === 'string') {
          addEvent(
            service,
            t,
            `(${label}) registered ${tasks.length} targets in (target-group ${targetGroup})`,
          );
        }
        callbacks.onHealthy(t);
      });
      return;
    }
    const stopAt = Math.max(...tasks.map((t) => t.stopAt ?? runningAt));
    scheduler.at(stopAt, (t) => {
      owner.failedTasks += tasks.length;
      for (const task of tasks) {
        addEvent(
          service,
          t,
          typeof targetGroup === 'string'
            ? `(${label}) (task ${task.id}) failed ELB health checks in (target-group ${targetGroup})`
            : `(${label}) (task ${task.id}) failed container health checks.`,
        );
      }
      callbacks.onFailed?.(t, owner.failedTasks);
      if (!callbacks.keepTrying()) return;
      if (attempt >= 2) {
        addEvent(
          service,
          t,
          `(${label}) is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.`,
        );
      }
      const backoff = Math.min(timings.retryBackoffMax, 10 * 2 ** attempt) * S;
      scheduler.at(t + backoff, (next) => {
        if (!callbacks.keepTrying()) return;
        launch(
          service,
          owner,
          taskDefinition,
          startedBy,
          count,
          next,
          label,
          callbacks,
          attempt + 1,
        );
      });
    });
  }

  // ---------- rolling and blue/green deployments (ECS controller) ----------

  function newDeployment(service: ServiceRecord, taskDefinition: string, at: number) {
    const deployment: RollingDeployment = {
      id: deploymentId(),
      status: 'PRIMARY',
      taskDefinition,
      desiredCount: service.desiredCount,
      createdAt: at,
      updatedAt: at,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment in progress.',
      failedTasks: 0,
      tasks: [],
      history: [],
      ...(service.launchType !== undefined ? { launchType: service.launchType } : {}),
      ...(service.platformVersion !== undefined
        ? { platformVersion: service.platformVersion }
        : {}),
      ...(service.networkConfiguration !== undefined
        ? { networkConfiguration: clone(service.networkConfiguration) }
        : {}),
      ...(service.capacityProviderStrategy !== undefined
        ? { capacityProviderStrategy: clone(service.capacityProviderStrategy) }
        : {}),
    };
    deployment.history.push({ rolloutState: 'IN_PROGRESS', at, reason: '' });
    for (const d of service.deployments) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
    service.deployments.push(deployment);
    return deployment;
  }

  function setRollout(d: RollingDeployment, state: RolloutState, reason: string, at: number) {
    d.rolloutState = state;
    d.rolloutStateReason = reason;
    d.updatedAt = at;
    d.history.push({ rolloutState: state, at, reason });
  }

  function setStatus(
    sd: ServiceDeploymentRecord,
    status: ServiceDeploymentStatus,
    at: number,
    stage?: LifecycleStage,
  ): void {
    sd.status = status;
    sd.updatedAt = at;
    if (stage !== undefined) sd.lifecycleStage = stage;
    if (status === 'IN_PROGRESS' && sd.startedAt === undefined) sd.startedAt = at;
    if (TERMINAL.includes(status)) {
      sd.finishedAt = at;
      if (status === 'STOPPED') sd.stoppedAt = at;
      if (sd.circuitBreaker.status === 'MONITORING')
        sd.circuitBreaker.status = 'MONITORING_COMPLETE';
    }
    sd.history.push({
      status,
      at,
      ...(sd.lifecycleStage !== undefined ? { lifecycleStage: sd.lifecycleStage } : {}),
    });
  }

  function threshold(service: ServiceRecord): number {
    const cb = service.deploymentConfiguration.deploymentCircuitBreaker as Json | undefined;
    const config = cb?.thresholdConfiguration as Json | undefined;
    if (config?.type === 'COUNT' && typeof config.value === 'number') return config.value;
    const percent =
      config?.type === 'PERCENTAGE' && typeof config.value === 'number' ? config.value : 50;
    return Math.min(200, Math.max(3, Math.ceil((service.desiredCount * percent) / 100)));
  }

  function circuitBreaker(service: ServiceRecord): { enable: boolean; rollback: boolean } {
    const cb = service.deploymentConfiguration.deploymentCircuitBreaker as Json | undefined;
    return { enable: cb?.enable === true, rollback: cb?.rollback === true };
  }

  function serviceRevisionArn(service: ServiceRecord): string {
    return `${arnPrefix}:service-revision/${service.cluster.name}/${service.name}/${digits()}`;
  }

  function startDeployment(service: ServiceRecord, taskDefinition: string, at: number): void {
    for (const sd of service.serviceDeployments) {
      if (!TERMINAL.includes(sd.status)) {
        sd.epoch += 1;
        sd.statusReason = 'Service deployment stopped because a newer deployment started.';
        setStatus(sd, 'STOPPED', at);
      }
    }
    const previous = service.deployments.filter((d) => d.status !== 'INACTIVE');
    const deployment = newDeployment(service, taskDefinition, at);
    const strategy = String(service.deploymentConfiguration.strategy ?? 'ROLLING');
    const cb = circuitBreaker(service);
    const sd: ServiceDeploymentRecord = {
      arn: `${arnPrefix}:service-deployment/${service.cluster.name}/${service.name}/${randomHex(random, 22)}`,
      service,
      strategy,
      createdAt: at,
      updatedAt: at,
      status: 'PENDING',
      source: previous.map((d) => ({
        arn: serviceRevisionArn(service),
        deployment: d,
        testWeight: 100,
        productionWeight: 100,
      })),
      target: {
        arn: serviceRevisionArn(service),
        deployment,
        testWeight: 0,
        productionWeight: 0,
      },
      deploymentConfiguration: clone(service.deploymentConfiguration),
      circuitBreaker: {
        status: cb.enable ? 'MONITORING' : 'DISABLED',
        failureCount: 0,
        threshold: threshold(service),
      },
      hookDetails: [],
      history: [],
      epoch: 0,
    };
    service.serviceDeployments.push(sd);
    service.taskDefinition = taskDefinition;
    setStatus(sd, 'PENDING', at);
    const epoch = sd.epoch;
    const step = (time: number, run: (t: number) => void) =>
      scheduler.at(time, (t) => {
        if (sd.epoch === epoch) run(t);
      });
    const label = `service ${service.name}`;

    const failedToStart = (t: number) => {
      const reason = 'ECS deployment circuit breaker: tasks failed to start.';
      setRollout(deployment, 'FAILED', reason, t);
      sd.circuitBreaker.status = 'TRIGGERED';
      addEvent(
        service,
        t,
        `(${label}) (deployment ${deployment.id}) deployment failed: tasks failed to start.`,
      );
      if (cb.rollback) rollback(sd, t, 'Circuit breaker rollback');
      else {
        sd.epoch += 1;
        sd.statusReason = reason;
        setStatus(sd, 'STOPPED', t);
      }
    };
    const launchCallbacks = (
      onHealthy: (t: number) => void,
    ): LaunchCallbacks & {
      keepTrying(): boolean;
    } => ({
      onHealthy: (t) => {
        if (sd.epoch === epoch) onHealthy(t);
      },
      onFailed: (t, failed) => {
        if (sd.epoch !== epoch) return;
        sd.circuitBreaker.failureCount = failed;
        if (cb.enable && failed >= sd.circuitBreaker.threshold) failedToStart(t);
      },
      keepTrying: () => sd.epoch === epoch && deployment.rolloutState === 'IN_PROGRESS',
    });

    const finish = (t: number) => {
      for (const d of previous) d.status = 'INACTIVE';
      if (neverFinishes(service)) return;
      step(t + timings.steady * S, (done) => {
        setRollout(deployment, 'COMPLETED', `ECS deployment ${deployment.id} completed.`, done);
        setStatus(sd, 'SUCCESSFUL', done);
        addEvent(service, done, `(${label}) (deployment ${deployment.id}) deployment completed.`);
        addEvent(service, done, `(${label}) has reached a steady state.`);
      });
    };
    const retireOld = (t: number) => {
      const old = previous.flatMap((d) => liveTasks(d.tasks, t));
      if (old.length === 0) return finish(t);
      addEvent(service, t, `(${label}) has begun draining connections on ${old.length} tasks.`);
      step(t + timings.drain * S, (drained) => {
        const stopped = stopTasks(
          old,
          drained,
          `Scaling activity initiated by (deployment ${deployment.id})`,
        );
        const targetGroup = service.loadBalancers[0]?.targetGroupArn;
        if (typeof targetGroup === 'string') {
          addEvent(
            service,
            drained,
            `(${label}) deregistered ${stopped.length} targets in (target-group ${targetGroup})`,
          );
        }
        addEvent(
          service,
          drained,
          `(${label}) has stopped ${stopped.length} running tasks: ${taskList(stopped)}.`,
        );
        finish(drained);
      });
    };

    if (strategy === 'ROLLING') {
      step(at + S, (t) => {
        setStatus(sd, 'IN_PROGRESS', t);
        launch(
          service,
          deployment,
          taskDefinition,
          deployment.id,
          deployment.desiredCount,
          t,
          label,
          launchCallbacks((healthy) => {
            sd.target.productionWeight = 100;
            for (const s of sd.source) s.productionWeight = 0;
            retireOld(healthy);
          }),
        );
      });
      return;
    }

    // Native blue/green, linear and canary: one stage after another, each with its hooks.
    const hooks = (sd.deploymentConfiguration.lifecycleHooks as Json[] | undefined) ?? [];
    const runStage = (index: number, t: number) => {
      const stage = BLUE_GREEN_STAGES[index];
      if (stage === undefined) return;
      setStatus(sd, 'IN_PROGRESS', t, stage);
      const next = (after: number) => step(after, (n) => runStage(index + 1, n));
      const afterHooks = (t2: number, then: (t3: number) => void) => {
        const stageHooks = hooks.filter((h) =>
          ((h.lifecycleStages as string[] | undefined) ?? []).includes(stage),
        );
        if (stageHooks.length === 0) return then(t2);
        const details = stageHooks.map((h) => {
          const detail: Json = {
            hookId: randomHex(random, 12),
            targetType: h.targetType ?? 'AWS_LAMBDA',
            targetArn: h.hookTargetArn,
            status: 'IN_PROGRESS',
          };
          sd.hookDetails.push(detail);
          return detail;
        });
        step(t2 + timings.hook * S, (t3) => {
          const failed = stageHooks.some((h) => hookFails(String(h.hookTargetArn ?? '')));
          for (const [i, d] of details.entries()) {
            const hook = stageHooks[i];
            d.status = hook && hookFails(String(hook.hookTargetArn ?? '')) ? 'FAILED' : 'SUCCEEDED';
          }
          if (failed) {
            setRollout(
              deployment,
              'FAILED',
              `ECS deployment ${deployment.id} failed: lifecycle hook failed.`,
              t3,
            );
            rollback(sd, t3, `Lifecycle hook failed during ${stage}.`);
          } else then(t3);
        });
      };
      switch (stage) {
        case 'SCALE_UP':
          launch(
            service,
            deployment,
            taskDefinition,
            deployment.id,
            deployment.desiredCount,
            t,
            label,
            launchCallbacks((healthy) => next(healthy)),
          );
          return;
        case 'TEST_TRAFFIC_SHIFT':
          step(t + timings.stage * S, (done) => {
            sd.target.testWeight = 100;
            for (const s of sd.source) s.testWeight = 0;
            next(done);
          });
          return;
        case 'PRODUCTION_TRAFFIC_SHIFT':
          shiftProduction(sd, t, (done) => next(done));
          return;
        case 'BAKE_TIME': {
          const bake = Number(sd.deploymentConfiguration.bakeTimeInMinutes ?? 0) * 60 * S;
          next(t + Math.max(bake, timings.stage * S));
          return;
        }
        case 'CLEAN_UP': {
          const old = previous.flatMap((d) => liveTasks(d.tasks, t));
          step(t + timings.drain * S, (drained) => {
            const stopped = stopTasks(
              old,
              drained,
              `Scaling activity initiated by (deployment ${deployment.id})`,
            );
            if (stopped.length > 0) {
              addEvent(
                service,
                drained,
                `(${label}) has stopped ${stopped.length} running tasks: ${taskList(stopped)}.`,
              );
            }
            finish(drained);
          });
          return;
        }
        default:
          afterHooks(t + timings.stage * S, (done) => next(done));
      }
    };
    const shiftProduction = (
      record: ServiceDeploymentRecord,
      t: number,
      then: (t: number) => void,
    ) => {
      const steps: { after: number; weight: number }[] = [];
      if (strategy === 'LINEAR') {
        const linear = (record.deploymentConfiguration.linearConfiguration as Json) ?? {};
        const percent = Number(linear.stepPercent ?? 10);
        const bake = Number(linear.stepBakeTimeInMinutes ?? 1) * 60 * S;
        for (let w = percent, i = 0; ; w += percent, i += 1) {
          steps.push({ after: i * bake, weight: Math.min(100, w) });
          if (w >= 100) break;
        }
      } else if (strategy === 'CANARY') {
        const canary = (record.deploymentConfiguration.canaryConfiguration as Json) ?? {};
        steps.push({ after: 0, weight: Number(canary.canaryPercent ?? 10) });
        steps.push({ after: Number(canary.canaryBakeTimeInMinutes ?? 5) * 60 * S, weight: 100 });
      } else {
        steps.push({ after: 0, weight: 100 });
      }
      const base = t + timings.stage * S;
      for (const s of steps) {
        step(base + s.after, (st) => {
          record.target.productionWeight = s.weight;
          for (const src of record.source) src.productionWeight = 100 - s.weight;
          record.updatedAt = st;
          if (s.weight >= 100) then(st);
        });
      }
    };
    step(at + S, (t) => runStage(0, t));
  }

  function hookFails(target: string): boolean {
    return [...state.failingHooks].some((h) => target === h || target.endsWith(`:function:${h}`));
  }

  /** Returns the service to the revision that ran before `sd`. */
  function rollback(sd: ServiceDeploymentRecord, at: number, reason: string): void {
    const service = sd.service;
    sd.epoch += 1;
    const epoch = sd.epoch;
    const failed = sd.target.deployment;
    const stable =
      sd.source.find((s) => s.deployment.rolloutState === 'COMPLETED') ?? sd.source.at(-1);
    if (stable === undefined) {
      sd.statusReason = 'No previous service revision to roll back to.';
      setStatus(sd, 'ROLLBACK_FAILED', at);
      return;
    }
    sd.rollback = { reason, startedAt: at, serviceRevisionArn: stable.arn };
    setStatus(sd, 'ROLLBACK_IN_PROGRESS', at);
    if (failed.rolloutState === 'IN_PROGRESS') {
      setRollout(failed, 'FAILED', `ECS deployment ${failed.id} rolled back.`, at);
    }
    const label = `service ${service.name}`;
    // Old tasks that have not been drained yet keep serving; only the missing ones start.
    const adopted = sd.source
      .flatMap((s) => s.deployment.tasks)
      .filter((t) => t.stopAt === undefined);
    let target: RollingDeployment;
    if (sd.strategy === 'ROLLING') {
      addEvent(service, at, `(${label}) rolling back to deployment ${stable.deployment.id}.`);
      target = newDeployment(service, stable.deployment.taskDefinition, at);
      target.tasks.push(...adopted);
      for (const s of sd.source) {
        s.deployment.tasks = s.deployment.tasks.filter((t) => !adopted.includes(t));
      }
      for (const s of sd.source) s.deployment.status = 'INACTIVE';
    } else {
      target = stable.deployment;
      for (const d of service.deployments) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
      target.status = 'PRIMARY';
    }
    failed.status = 'ACTIVE';
    service.taskDefinition = target.taskDefinition;
    sd.target.testWeight = 0;
    sd.target.productionWeight = 0;
    for (const s of sd.source) {
      s.testWeight = s === stable ? 100 : 0;
      s.productionWeight = s === stable ? 100 : 0;
    }
    const complete = (t: number) => {
      if (sd.epoch !== epoch) return;
      const stopped = stopTasks(
        failed.tasks,
        t,
        `Scaling activity initiated by (deployment ${target.id})`,
      );
      if (stopped.length > 0) {
        addEvent(
          service,
          t,
          `(${label}) has stopped ${stopped.length} running tasks: ${taskList(stopped)}.`,
        );
      }
      failed.status = 'INACTIVE';
      scheduler.at(t + timings.steady * S, (done) => {
        if (sd.epoch !== epoch) return;
        if (target.rolloutState !== 'COMPLETED') {
          setRollout(target, 'COMPLETED', `ECS deployment ${target.id} completed.`, done);
        }
        setStatus(sd, 'ROLLBACK_SUCCESSFUL', done);
        addEvent(service, done, `(${label}) has reached a steady state.`);
      });
    };
    const missing = service.desiredCount - adopted.length;
    launch(service, target, target.taskDefinition, target.id, missing, at, label, {
      onHealthy: complete,
      keepTrying: () => sd.epoch === epoch,
    });
  }

  // ---------- task sets (CODE_DEPLOY controller) ----------

  function newTaskSet(
    service: ServiceRecord,
    taskDefinition: string,
    at: number,
    status: TaskSetRecord['status'],
    externalId?: string,
  ): TaskSetRecord {
    const id = deploymentId();
    const taskSet: TaskSetRecord = {
      id,
      arn: `${arnPrefix}:task-set/${service.cluster.name}/${service.name}/${id}`,
      status,
      taskDefinition,
      startedBy: externalId ?? id,
      createdAt: at,
      updatedAt: at,
      desiredCount: service.desiredCount,
      failedTasks: 0,
      tasks: [],
      stabilityStatus: 'STABILIZING',
      stabilityStatusAt: at,
      loadBalancers: clone(service.loadBalancers),
      removed: false,
      ...(externalId !== undefined ? { externalId } : {}),
      ...(service.launchType !== undefined ? { launchType: service.launchType } : {}),
      ...(service.platformVersion !== undefined
        ? { platformVersion: service.platformVersion }
        : {}),
      ...(service.networkConfiguration !== undefined
        ? { networkConfiguration: clone(service.networkConfiguration) }
        : {}),
    };
    service.taskSets.push(taskSet);
    return taskSet;
  }

  // ---------- standalone tasks (RunTask, StopTask) ----------

  const runTasks = createRunTasks({
    ctx,
    scenario: scenario?.runTask,
    arnPrefix,
    timings,
    tasks: state.tasks,
    clusterFor,
    findTaskDefinition,
    describeTask,
  });

  const module: EcsModule = {
    name: 'ecs',
    targetPrefix: 'AmazonEC2ContainerServiceV20141113',
    // Reading the state first runs what is due, so a test sees the present, not the last call.
    get state() {
      scheduler.advance();
      return state;
    },
    setup,
    runTasks,
    findTaskDefinition,
    findService,
    isUnhealthy,
    addEvent,
    createTaskSet(service, options, callbacks) {
      const taskSet = newTaskSet(
        service,
        options.taskDefinition,
        options.at,
        'ACTIVE',
        options.externalId,
      );
      if (options.launchType !== undefined) taskSet.launchType = options.launchType;
      if (options.platformVersion !== undefined) taskSet.platformVersion = options.platformVersion;
      if (options.networkConfiguration !== undefined) {
        taskSet.networkConfiguration = options.networkConfiguration;
      }
      const label = `service ${service.name}, taskSet ${taskSet.id}`;
      launch(
        service,
        taskSet,
        taskSet.taskDefinition,
        taskSet.startedBy,
        taskSet.desiredCount,
        options.at,
        label,
        {
          onHealthy: (t) => {
            if (taskSet.removed) return;
            taskSet.stabilityStatus = 'STEADY_STATE';
            taskSet.stabilityStatusAt = t;
            taskSet.updatedAt = t;
            callbacks.onHealthy(t);
          },
          onFailed: (t, failed) => {
            if (!taskSet.removed) callbacks.onFailed?.(t, failed);
          },
          keepTrying: () => !taskSet.removed,
        },
      );
      return taskSet;
    },
    promoteTaskSet(service, taskSet, at) {
      for (const ts of service.taskSets) if (ts.status === 'PRIMARY') ts.status = 'ACTIVE';
      taskSet.status = 'PRIMARY';
      taskSet.updatedAt = at;
      service.taskDefinition = taskSet.taskDefinition;
      addEvent(
        service,
        at,
        `(service ${service.name}) updated the primary taskSet to ${taskSet.id}.`,
      );
    },
    removeTaskSet(service, taskSet, at) {
      taskSet.removed = true;
      taskSet.status = 'DRAINING';
      taskSet.updatedAt = at;
      scheduler.at(at + timings.drain * S, (t) => {
        const stopped = stopTasks(taskSet.tasks, t, 'Scaling activity initiated by deployment');
        if (stopped.length > 0) {
          addEvent(
            service,
            t,
            `(service ${service.name}, taskSet ${taskSet.id}) has stopped ${stopped.length} running tasks: ${taskList(stopped)}.`,
          );
        }
        service.taskSets = service.taskSets.filter((ts) => ts !== taskSet);
        addEvent(service, t, `(service ${service.name}) has reached a steady state.`);
      });
    },
    handle(operation, params) {
      const handler = operations[operation];
      if (handler === undefined) {
        throw new AwsError('UnknownOperationException', `Unknown operation ${operation}`);
      }
      return handler(params);
    },
  };

  // ---------- scenario setup ----------

  function setup(): void {
    const at = now();
    for (const raw of scenario?.taskDefinitions ?? []) {
      const { revision, ...params } = raw;
      registerTaskDefinition(
        params,
        at - 86_400 * S,
        typeof revision === 'number' ? revision : undefined,
      );
    }
    for (const c of scenario?.clusters ?? []) {
      const cluster: ClusterRecord = {
        name: c.name,
        arn: `${arnPrefix}:cluster/${c.name}`,
        services: new Map(),
      };
      state.clusters.set(c.name, cluster);
      for (const s of c.services ?? []) {
        const td = findTaskDefinition(s.taskDefinition);
        if (td === undefined) {
          throw new Error(
            `scenario: service ${c.name}/${s.name} uses task definition ${s.taskDefinition}, which is not among ecs.taskDefinitions`,
          );
        }
        const service: ServiceRecord = {
          name: s.name,
          arn: `${arnPrefix}:service/${c.name}/${s.name}`,
          cluster,
          status: 'ACTIVE',
          desiredCount: s.desiredCount ?? 1,
          taskDefinition: td.arn,
          deploymentController: s.deploymentController ?? { type: 'ECS' },
          deploymentConfiguration: clone(
            s.deploymentConfiguration ?? {
              deploymentCircuitBreaker: { enable: false, rollback: false },
              maximumPercent: 200,
              minimumHealthyPercent: 100,
            },
          ),
          loadBalancers: clone(s.loadBalancers ?? []),
          createdAt: at - 30 * 86_400 * S,
          tags: s.tags ?? [],
          events: [],
          deployments: [],
          taskSets: [],
          serviceDeployments: [],
          ...(s.networkConfiguration !== undefined
            ? { networkConfiguration: clone(s.networkConfiguration) }
            : {}),
          ...(s.capacityProviderStrategy !== undefined
            ? { capacityProviderStrategy: clone(s.capacityProviderStrategy) }
            : { launchType: s.launchType ?? 'FARGATE' }),
          ...(s.platformVersion !== undefined || s.capacityProviderStrategy === undefined
            ? { platformVersion: s.platformVersion ?? 'LATEST' }
            : {}),
          ...(s.healthCheckGracePeriodSeconds !== undefined
            ? { healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds }
            : {}),
        };
        cluster.services.set(s.name, service);
        const since = at - 3600 * S;
        if (service.deploymentController.type === 'ECS') {
          const d = newDeployment(service, td.arn, since);
          setRollout(d, 'COMPLETED', `ECS deployment ${d.id} completed.`, since);
          for (let i = 0; i < service.desiredCount; i++) {
            d.tasks.push(seedTask(service, td.arn, d.id, at));
          }
        } else {
          const ts = newTaskSet(service, td.arn, since, 'PRIMARY');
          ts.stabilityStatus = 'STEADY_STATE';
          for (let i = 0; i < service.desiredCount; i++) {
            ts.tasks.push(seedTask(service, td.arn, ts.startedBy, at));
          }
        }
        addEvent(service, since, `(service ${service.name}) has reached a steady state.`);
      }
    }
  }

  // ---------- operations ----------

  function taskDefinitionArnOf(ref: string): string {
    return findTaskDefinition(ref)?.arn ?? ref;
  }

  function countTasks(tasks: TaskRecord[], at: number) {
    let running = 0;
    let pending = 0;
    for (const t of tasks) {
      const s = taskStatus(t, at);
      if (s === 'RUNNING') running += 1;
      else if (s === 'PENDING' || s === 'PROVISIONING') pending += 1;
    }
    return { running, pending };
  }

  function describeDeployment(d: RollingDeployment, at: number): Json {
    const counts = countTasks(d.tasks, at);
    return {
      id: d.id,
      status: d.status,
      taskDefinition: d.taskDefinition,
      desiredCount: d.desiredCount,
      pendingCount: counts.pending,
      runningCount: counts.running,
      failedTasks: d.failedTasks,
      createdAt: epochSeconds(d.createdAt),
      updatedAt: epochSeconds(d.updatedAt),
      rolloutState: d.rolloutState,
      rolloutStateReason: d.rolloutStateReason,
      ...(d.launchType !== undefined ? { launchType: d.launchType } : {}),
      ...(d.platformVersion !== undefined
        ? { platformVersion: d.platformVersion, platformFamily: 'Linux' }
        : {}),
      ...(d.networkConfiguration !== undefined
        ? { networkConfiguration: d.networkConfiguration }
        : {}),
      ...(d.capacityProviderStrategy !== undefined
        ? { capacityProviderStrategy: d.capacityProviderStrategy }
        : {}),
    };
  }

  function describeTaskSet(service: ServiceRecord, ts: TaskSetRecord, at: number): Json {
    const counts = countTasks(ts.tasks, at);
    return {
      id: ts.id,
      taskSetArn: ts.arn,
      serviceArn: service.arn,
      clusterArn: service.cluster.arn,
      startedBy: ts.externalId !== undefined ? 'CodeDeploy' : ts.startedBy,
      ...(ts.externalId !== undefined ? { externalId: ts.externalId } : {}),
      status: ts.status,
      taskDefinition: ts.taskDefinition,
      computedDesiredCount: ts.desiredCount,
      pendingCount: counts.pending,
      runningCount: counts.running,
      createdAt: epochSeconds(ts.createdAt),
      updatedAt: epochSeconds(ts.updatedAt),
      ...(ts.launchType !== undefined ? { launchType: ts.launchType } : {}),
      ...(ts.platformVersion !== undefined ? { platformVersion: ts.platformVersion } : {}),
      ...(ts.networkConfiguration !== undefined
        ? { networkConfiguration: ts.networkConfiguration }
        : {}),
      loadBalancers: ts.loadBalancers,
      serviceRegistries: [],
      scale: { value: 100, unit: 'PERCENT' },
      stabilityStatus: ts.stabilityStatus,
      stabilityStatusAt: epochSeconds(ts.stabilityStatusAt),
      tags: [],
    };
  }

  function describeService(service: ServiceRecord, at: number, withTags: boolean): Json {
    const codeDeploy = service.deploymentController.type !== 'ECS';
    const allTasks = codeDeploy
      ? service.taskSets.flatMap((t) => t.tasks)
      : service.deployments.flatMap((d) => d.tasks);
    const counts = countTasks(allTasks, at);
    const deployments = codeDeploy
      ? service.taskSets.map((ts) => {
          const c = countTasks(ts.tasks, at);
          return {
            id: ts.id,
            status: ts.status === 'PRIMARY' ? 'PRIMARY' : 'ACTIVE',
            taskDefinition: ts.taskDefinition,
            desiredCount: ts.desiredCount,
            pendingCount: c.pending,
            runningCount: c.running,
            failedTasks: ts.failedTasks,
            createdAt: epochSeconds(ts.createdAt),
            updatedAt: epochSeconds(ts.updatedAt),
            ...(ts.launchType !== undefined ? { launchType: ts.launchType } : {}),
            ...(ts.platformVersion !== undefined ? { platformVersion: ts.platformVersion } : {}),
          };
        })
      : service.deployments
          .filter((d) => d.status !== 'INACTIVE')
          .sort((a, b) => (a.status === 'PRIMARY' ? -1 : b.status === 'PRIMARY' ? 1 : 0))
          .map((d) => describeDeployment(d, at));
    const current = service.serviceDeployments.at(-1);
    return {
      serviceArn: service.arn,
      serviceName: service.name,
      clusterArn: service.cluster.arn,
      loadBalancers: service.loadBalancers,
      serviceRegistries: [],
      status: service.status,
      desiredCount: service.desiredCount,
      runningCount: counts.running,
      pendingCount: counts.pending,
      ...(service.launchType !== undefined ? { launchType: service.launchType } : {}),
      ...(service.capacityProviderStrategy !== undefined
        ? { capacityProviderStrategy: service.capacityProviderStrategy }
        : {}),
      ...(service.platformVersion !== undefined
        ? { platformVersion: service.platformVersion, platformFamily: 'Linux' }
        : {}),
      taskDefinition: service.taskDefinition,
      deploymentConfiguration: service.deploymentConfiguration,
      ...(codeDeploy
        ? { taskSets: service.taskSets.map((ts) => describeTaskSet(service, ts, at)) }
        : {}),
      deployments,
      roleArn: `arn:aws:iam::${accountId}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`,
      events: service.events.map((e) => ({
        id: e.id,
        createdAt: epochSeconds(e.createdAt),
        message: e.message,
      })),
      createdAt: epochSeconds(service.createdAt),
      ...(current !== undefined && !codeDeploy ? { currentServiceDeployment: current.arn } : {}),
      placementConstraints: [],
      placementStrategy: [],
      ...(service.networkConfiguration !== undefined
        ? { networkConfiguration: service.networkConfiguration }
        : {}),
      ...(service.healthCheckGracePeriodSeconds !== undefined
        ? { healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds }
        : {}),
      schedulingStrategy: 'REPLICA',
      deploymentController: service.deploymentController,
      ...(withTags ? { tags: service.tags } : {}),
      createdBy: `arn:aws:iam::${accountId}:role/sandbox-admin`,
      enableECSManagedTags: false,
      propagateTags: 'NONE',
      enableExecuteCommand: false,
    };
  }

  function revisionSummary(r: ServiceRevisionRecord, at: number, requested: number): Json {
    const counts = countTasks(r.deployment.tasks, at);
    return {
      arn: r.arn,
      requestedTaskCount: requested,
      runningTaskCount: counts.running,
      pendingTaskCount: counts.pending,
      requestedTestTrafficWeight: r.testWeight,
      requestedProductionTrafficWeight: r.productionWeight,
    };
  }

  function describeServiceDeployment(sd: ServiceDeploymentRecord, at: number): Json {
    const done = TERMINAL.includes(sd.status);
    return {
      serviceDeploymentArn: sd.arn,
      serviceArn: sd.service.arn,
      clusterArn: sd.service.cluster.arn,
      createdAt: epochSeconds(sd.createdAt),
      ...(sd.startedAt !== undefined ? { startedAt: epochSeconds(sd.startedAt) } : {}),
      ...(sd.finishedAt !== undefined ? { finishedAt: epochSeconds(sd.finishedAt) } : {}),
      ...(sd.stoppedAt !== undefined ? { stoppedAt: epochSeconds(sd.stoppedAt) } : {}),
      updatedAt: epochSeconds(sd.updatedAt),
      sourceServiceRevisions: sd.source.map((s) =>
        revisionSummary(s, at, done && sd.status === 'SUCCESSFUL' ? 0 : s.deployment.desiredCount),
      ),
      targetServiceRevision: revisionSummary(
        sd.target,
        at,
        sd.status === 'ROLLBACK_SUCCESSFUL' ? 0 : sd.target.deployment.desiredCount,
      ),
      status: sd.status,
      ...(sd.statusReason !== undefined ? { statusReason: sd.statusReason } : {}),
      ...(sd.lifecycleStage !== undefined ? { lifecycleStage: sd.lifecycleStage } : {}),
      ...(sd.hookDetails.length > 0 ? { lifecycleHookDetails: sd.hookDetails } : {}),
      deploymentConfiguration: sd.deploymentConfiguration,
      ...(sd.rollback !== undefined
        ? {
            rollback: {
              reason: sd.rollback.reason,
              startedAt: epochSeconds(sd.rollback.startedAt),
              serviceRevisionArn: sd.rollback.serviceRevisionArn,
            },
          }
        : {}),
      deploymentCircuitBreaker: sd.circuitBreaker,
      alarms: { status: 'DISABLED' },
    };
  }

  function describeTask(task: TaskRecord, at: number): Json {
    const status = taskStatus(task, at);
    const stopped = status === 'STOPPED';
    return {
      taskArn: task.arn,
      clusterArn: task.clusterArn,
      taskDefinitionArn: task.taskDefinitionArn,
      group: task.group,
      startedBy: task.startedBy,
      lastStatus: status,
      desiredStatus:
        stopped || (task.stopAt !== undefined && task.stopAt <= at) ? 'STOPPED' : 'RUNNING',
      launchType: task.launchType,
      ...(task.platformVersion !== undefined
        ? { platformVersion: task.platformVersion, platformFamily: 'Linux' }
        : {}),
      ...(task.cpu !== undefined ? { cpu: task.cpu } : {}),
      ...(task.memory !== undefined ? { memory: task.memory } : {}),
      availabilityZone: `${region}a`,
      connectivity: at >= task.pendingAt ? 'CONNECTED' : 'CONNECTING',
      ...(at >= task.pendingAt ? { connectivityAt: epochSeconds(task.pendingAt) } : {}),
      createdAt: epochSeconds(task.createdAt),
      ...(at >= task.pendingAt ? { pullStartedAt: epochSeconds(task.pendingAt) } : {}),
      ...(at >= task.runningAt
        ? {
            pullStoppedAt: epochSeconds(task.runningAt - 2 * S),
            startedAt: epochSeconds(task.runningAt),
          }
        : {}),
      ...(stopped && task.stopAt !== undefined
        ? {
            stoppingAt: epochSeconds(task.stopAt),
            stoppedAt: epochSeconds(task.stopAt),
            executionStoppedAt: epochSeconds(task.stopAt),
            stoppedReason: task.stoppedReason ?? 'Task stopped by user',
            stopCode: task.stopCode ?? 'UserInitiated',
          }
        : {}),
      healthStatus:
        status === 'RUNNING' ? (task.stoppedReason ? 'UNHEALTHY' : 'HEALTHY') : 'UNKNOWN',
      containers: task.containers.map((c) => ({
        containerArn: `${arnPrefix}:container/${task.id}/${c.name}`,
        taskArn: task.arn,
        name: c.name,
        image: c.image,
        lastStatus: status === 'PROVISIONING' ? 'PENDING' : status,
        ...(stopped && task.exitCode !== undefined ? { exitCode: task.exitCode } : {}),
        healthStatus: 'UNKNOWN',
      })),
      version:
        1 + [task.pendingAt, task.runningAt, task.stopAt ?? Infinity].filter((t) => t <= at).length,
      tags: [],
    };
  }

  function pageOf<T>(items: T[], params: Json, max: number): { page: T[]; nextToken?: string } {
    const limit = typeof params.maxResults === 'number' ? params.maxResults : max;
    if (limit < 1 || limit > max)
      throw invalidParameter(`maxResults must be between 1 and ${max}.`);
    const start =
      typeof params.nextToken === 'string'
        ? Number(Buffer.from(params.nextToken, 'base64').toString())
        : 0;
    if (!Number.isInteger(start) || start < 0) throw invalidParameter('Invalid nextToken.');
    const page = items.slice(start, start + limit);
    const next = start + limit;
    return next < items.length
      ? { page, nextToken: Buffer.from(String(next)).toString('base64') }
      : { page };
  }

  function allServiceDeployments(): ServiceDeploymentRecord[] {
    return [...state.clusters.values()].flatMap((c) =>
      [...c.services.values()].flatMap((s) => s.serviceDeployments),
    );
  }

  const operations: Record<string, (params: Json) => unknown> = {
    RegisterTaskDefinition(params) {
      const td = registerTaskDefinition(params, now());
      return { taskDefinition: describeTaskDefinitionBody(td), tags: td.tags };
    },
    DescribeTaskDefinition(params) {
      const td = requireTaskDefinition(str(params, 'taskDefinition'));
      const include = Array.isArray(params.include) ? params.include : [];
      return {
        taskDefinition: describeTaskDefinitionBody(td),
        ...(include.includes('TAGS') ? { tags: td.tags } : {}),
      };
    },
    DeregisterTaskDefinition(params) {
      const ref = str(params, 'taskDefinition');
      if (ref === undefined) throw clientError('TaskDefinition must not be null or empty.');
      if (!lastSegment(ref).includes(':')) {
        throw clientError(
          'The specified task definition identifier is invalid. Specify a valid name or ARN and try again.',
        );
      }
      const td = findTaskDefinition(ref);
      if (td === undefined) throw clientError('The specified task definition does not exist.');
      if (td.status === 'ACTIVE') {
        td.status = 'INACTIVE';
        td.deregisteredAt = now();
      }
      return { taskDefinition: describeTaskDefinitionBody(td) };
    },
    DescribeServices(params) {
      const cluster = clusterFor(params.cluster);
      const refs = params.services;
      if (!Array.isArray(refs) || refs.length === 0) {
        throw invalidParameter('Services cannot be empty.');
      }
      if (refs.length > 10) throw invalidParameter('Services cannot contain more than 10 items.');
      const at = now();
      const withTags = Array.isArray(params.include) && params.include.includes('TAGS');
      const services: Json[] = [];
      const failures: Json[] = [];
      for (const ref of refs as string[]) {
        const service = cluster.services.get(lastSegment(ref));
        if (service === undefined) {
          failures.push({
            arn: ref.startsWith('arn:') ? ref : `${arnPrefix}:service/${cluster.name}/${ref}`,
            reason: 'MISSING',
          });
        } else services.push(describeService(service, at, withTags));
      }
      return { services, failures };
    },
    UpdateService(params) {
      const cluster = clusterFor(params.cluster);
      const service = serviceFor(cluster, params.service);
      const at = now();
      const controller = service.deploymentController.type;
      const ref = str(params, 'taskDefinition');
      const td = ref !== undefined ? requireUpdateTaskDefinition(ref) : undefined;
      const changesRevision =
        (td !== undefined && td.arn !== service.taskDefinition) ||
        params.forceNewDeployment === true ||
        params.networkConfiguration !== undefined ||
        params.platformVersion !== undefined ||
        params.loadBalancers !== undefined ||
        params.capacityProviderStrategy !== undefined;
      if (controller !== 'ECS' && (changesRevision || td !== undefined)) {
        throw invalidParameter(
          controller === 'CODE_DEPLOY'
            ? 'Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.'
            : 'Unable to update task definition on services with an EXTERNAL deployment controller. Use task sets to deploy a new revision.',
        );
      }
      if (params.desiredCount !== undefined) {
        if (typeof params.desiredCount !== 'number' || params.desiredCount < 0) {
          throw invalidParameter('Desired count must be a non-negative integer.');
        }
        service.desiredCount = params.desiredCount;
      }
      if (params.deploymentConfiguration !== undefined) {
        service.deploymentConfiguration = {
          ...service.deploymentConfiguration,
          ...(params.deploymentConfiguration as Json),
        };
      }
      if (params.networkConfiguration !== undefined) {
        service.networkConfiguration = params.networkConfiguration as Json;
      }
      if (typeof params.platformVersion === 'string')
        service.platformVersion = params.platformVersion;
      if (Array.isArray(params.loadBalancers))
        service.loadBalancers = params.loadBalancers as Json[];
      if (Array.isArray(params.capacityProviderStrategy)) {
        service.capacityProviderStrategy = params.capacityProviderStrategy as Json[];
        delete service.launchType;
      }
      if (typeof params.healthCheckGracePeriodSeconds === 'number') {
        service.healthCheckGracePeriodSeconds = params.healthCheckGracePeriodSeconds;
      }
      if (changesRevision) {
        startDeployment(service, td?.arn ?? service.taskDefinition, at);
      } else if (params.desiredCount !== undefined) {
        scale(service, at);
      }
      return { service: describeService(service, now(), false) };
    },
    ListServiceDeployments(params) {
      const cluster = clusterFor(params.cluster);
      const service = serviceFor(cluster, params.service);
      const statuses = Array.isArray(params.status) ? (params.status as string[]) : undefined;
      const created = (params.createdAt as Json | undefined) ?? {};
      const before = typeof created.before === 'number' ? created.before * 1000 : Infinity;
      const after = typeof created.after === 'number' ? created.after * 1000 : -Infinity;
      const list = service.serviceDeployments
        .filter((sd) => statuses === undefined || statuses.includes(sd.status))
        .filter((sd) => sd.createdAt <= before && sd.createdAt >= after)
        .slice()
        .reverse();
      const { page, nextToken } = pageOf(list, params, 100);
      return {
        serviceDeployments: page.map((sd) => ({
          serviceDeploymentArn: sd.arn,
          serviceArn: service.arn,
          clusterArn: cluster.arn,
          createdAt: epochSeconds(sd.createdAt),
          ...(sd.startedAt !== undefined ? { startedAt: epochSeconds(sd.startedAt) } : {}),
          ...(sd.finishedAt !== undefined ? { finishedAt: epochSeconds(sd.finishedAt) } : {}),
          targetServiceRevisionArn: sd.target.arn,
          status: sd.status,
          ...(sd.statusReason !== undefined ? { statusReason: sd.statusReason } : {}),
        })),
        ...(nextToken !== undefined ? { nextToken } : {}),
      };
    },
    DescribeServiceDeployments(params) {
      const arns = params.serviceDeploymentArns;
      if (!Array.isArray(arns) || arns.length === 0) {
        throw invalidParameter('serviceDeploymentArns must not be empty.');
      }
      if (arns.length > 20) {
        throw invalidParameter('serviceDeploymentArns cannot contain more than 20 items.');
      }
      const at = now();
      const all = allServiceDeployments();
      const serviceDeployments: Json[] = [];
      const failures: Json[] = [];
      for (const arn of arns as string[]) {
        const sd = all.find((d) => d.arn === arn);
        if (sd === undefined) failures.push({ arn, reason: 'MISSING' });
        else serviceDeployments.push(describeServiceDeployment(sd, at));
      }
      return { serviceDeployments, failures };
    },
    StopServiceDeployment(params) {
      const arn = str(params, 'serviceDeploymentArn');
      if (arn === undefined) throw invalidParameter('serviceDeploymentArn must not be empty.');
      const sd = allServiceDeployments().find((d) => d.arn === arn);
      if (sd === undefined) {
        throw new AwsError(
          'ServiceDeploymentNotFoundException',
          `The service deployment ${arn} does not exist.`,
        );
      }
      if (
        TERMINAL.includes(sd.status) ||
        sd.status.startsWith('ROLLBACK') ||
        sd.status === 'STOP_REQUESTED'
      ) {
        throw new AwsError(
          'ConflictException',
          `The service deployment is in ${sd.status} status and can't be stopped.`,
        );
      }
      const stopType = str(params, 'stopType') ?? 'ROLLBACK';
      if (stopType !== 'ROLLBACK' && stopType !== 'ABORT') {
        throw invalidParameter(`Invalid stopType: ${stopType}.`);
      }
      const at = now();
      sd.epoch += 1;
      const epoch = sd.epoch;
      if (stopType === 'ROLLBACK') {
        setStatus(sd, 'ROLLBACK_REQUESTED', at);
        scheduler.at(at + timings.stage * S, (t) => {
          if (sd.epoch === epoch)
            rollback(sd, t, 'Service deployment rolled back by user request.');
        });
      } else {
        setStatus(sd, 'STOP_REQUESTED', at);
        scheduler.at(at + timings.stage * S, (t) => {
          if (sd.epoch !== epoch) return;
          sd.statusReason = 'Service deployment stopped by user request.';
          setRollout(sd.target.deployment, 'FAILED', 'ECS deployment stopped by user request.', t);
          setStatus(sd, 'STOPPED', t);
        });
      }
      return { serviceDeploymentArn: sd.arn };
    },
    ListTasks(params) {
      const cluster = clusterFor(params.cluster);
      const at = now();
      const serviceName = str(params, 'serviceName');
      if (serviceName !== undefined) serviceFor(cluster, serviceName);
      const desired = str(params, 'desiredStatus') ?? 'RUNNING';
      const family = str(params, 'family');
      const startedBy = str(params, 'startedBy');
      const list = state.tasks
        .filter((t) => t.clusterArn === cluster.arn)
        .filter(
          (t) => serviceName === undefined || t.group === `service:${lastSegment(serviceName)}`,
        )
        .filter(
          (t) => family === undefined || findTaskDefinition(t.taskDefinitionArn)?.family === family,
        )
        .filter((t) => startedBy === undefined || t.startedBy === startedBy)
        .filter((t) => {
          const stopped = t.stopAt !== undefined && t.stopAt <= at;
          if (desired === 'STOPPED') return stopped && at - (t.stopAt ?? at) < 3600 * S;
          return !stopped;
        });
      const { page, nextToken } = pageOf(list, params, 100);
      return {
        taskArns: page.map((t) => t.arn),
        ...(nextToken !== undefined ? { nextToken } : {}),
      };
    },
    DescribeTasks(params) {
      const cluster = clusterFor(params.cluster);
      const refs = params.tasks;
      if (!Array.isArray(refs) || refs.length === 0)
        throw invalidParameter('Tasks cannot be empty.');
      if (refs.length > 100) throw invalidParameter('Tasks cannot contain more than 100 items.');
      const at = now();
      const tasks: Json[] = [];
      const failures: Json[] = [];
      for (const ref of refs as string[]) {
        const id = lastSegment(ref);
        const task = state.tasks.find((t) => t.clusterArn === cluster.arn && t.id === id);
        if (task === undefined) failures.push({ arn: ref, reason: 'MISSING' });
        else if (runTasks.isStandalone(task)) {
          const withTags = Array.isArray(params.include) && params.include.includes('TAGS');
          tasks.push(runTasks.describe(task, at, withTags));
        } else tasks.push(describeTask(task, at));
      }
      return { tasks, failures };
    },
    ...runTasks.operations,
  };

  // ---------- reads a user's own tools make (aws ecs list-services, describe-clusters, …) ----------
  // None of the actions calls these; a user pointing the AWS CLI or a script at the sandbox does.
  // Page sizes and limits are the API reference's: ListServices pages 10 by default,
  // ListTaskDefinitions 100, both at most 100; DescribeClusters takes at most 100 names.

  Object.assign(operations, {
    ListServices(params: Json) {
      const cluster = clusterFor(params.cluster);
      const launchType = str(params, 'launchType');
      const scheduling = str(params, 'schedulingStrategy');
      // Every sandbox service is a REPLICA service; a DAEMON filter finds none.
      const list =
        scheduling === undefined || scheduling === 'REPLICA'
          ? [...cluster.services.values()].filter(
              (s) => launchType === undefined || s.launchType === launchType,
            )
          : [];
      const { page, nextToken } = pageOf(list, { maxResults: 10, ...params }, 100);
      return {
        serviceArns: page.map((s) => s.arn),
        ...(nextToken !== undefined ? { nextToken } : {}),
      };
    },
    DescribeClusters(params: Json) {
      const refs = Array.isArray(params.clusters) ? (params.clusters as string[]) : ['default'];
      if (refs.length > 100) throw invalidParameter('Clusters cannot contain more than 100 items.');
      const include = Array.isArray(params.include) ? (params.include as string[]) : [];
      const at = now();
      const clusters: Json[] = [];
      const failures: Json[] = [];
      for (const ref of refs) {
        const cluster = state.clusters.get(lastSegment(ref));
        if (cluster === undefined) {
          failures.push({
            arn: ref.startsWith('arn:') ? ref : `${arnPrefix}:cluster/${ref}`,
            reason: 'MISSING',
          });
          continue;
        }
        const counts = countTasks(
          state.tasks.filter((t) => t.clusterArn === cluster.arn),
          at,
        );
        const services = [...cluster.services.values()].filter((s) => s.status === 'ACTIVE');
        clusters.push({
          clusterArn: cluster.arn,
          clusterName: cluster.name,
          status: 'ACTIVE',
          registeredContainerInstancesCount: 0,
          runningTasksCount: counts.running,
          pendingTasksCount: counts.pending,
          activeServicesCount: services.length,
          statistics: include.includes('STATISTICS')
            ? [
                { name: 'runningFargateTasksCount', value: String(counts.running) },
                { name: 'pendingFargateTasksCount', value: String(counts.pending) },
                { name: 'activeFargateServiceCount', value: String(services.length) },
                { name: 'drainingFargateServiceCount', value: '0' },
              ]
            : [],
          tags: [],
          ...(include.includes('SETTINGS')
            ? { settings: [{ name: 'containerInsights', value: 'disabled' }] }
            : {}),
          capacityProviders: [],
          defaultCapacityProviderStrategy: [],
        });
      }
      return { clusters, failures };
    },
    ListTaskDefinitions(params: Json) {
      const family = str(params, 'familyPrefix');
      const status = str(params, 'status') ?? 'ACTIVE';
      if (!['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'].includes(status)) {
        throw invalidParameter(`Invalid status: ${status}.`);
      }
      const sort = str(params, 'sort') ?? 'ASC';
      if (sort !== 'ASC' && sort !== 'DESC') throw invalidParameter(`Invalid sort: ${sort}.`);
      // Lexicographically by family, then by revision, newest last (ASC).
      const list = state.taskDefinitions
        .filter((t) => t.status === status && (family === undefined || t.family === family))
        .sort((a, b) => a.family.localeCompare(b.family) || a.revision - b.revision);
      if (sort === 'DESC') list.reverse();
      const { page, nextToken } = pageOf(list, params, 100);
      return {
        taskDefinitionArns: page.map((t) => t.arn),
        ...(nextToken !== undefined ? { nextToken } : {}),
      };
    },
  } satisfies Record<string, (params: Json) => unknown>);

  function requireUpdateTaskDefinition(ref: string): TaskDefinitionRecord {
    const td = findTaskDefinition(ref);
    if (td === undefined) throw clientError('TaskDefinition not found.');
    if (td.status !== 'ACTIVE') {
      throw clientError(`TaskDefinition is inactive: ${taskDefinitionArnOf(ref)}`);
    }
    return td;
  }

  /** A desiredCount change without a new revision: start or stop tasks of the PRIMARY. */
  function scale(service: ServiceRecord, at: number): void {
    const label = `service ${service.name}`;
    if (service.deploymentController.type !== 'ECS') {
      const primary = service.taskSets.find((ts) => ts.status === 'PRIMARY');
      if (primary === undefined) return;
      primary.desiredCount = service.desiredCount;
      addEvent(
        service,
        at,
        `(${label}) updated computedDesiredCount for taskSet ${primary.id} to ${service.desiredCount}.`,
      );
      adjust(primary, primary.taskDefinition, primary.startedBy, `${label}, taskSet ${primary.id}`);
      return;
    }
    const primary = service.deployments.find((d) => d.status === 'PRIMARY');
    if (primary === undefined) return;
    primary.desiredCount = service.desiredCount;
    adjust(primary, primary.taskDefinition, primary.id, label);

    function adjust(
      owner: { tasks: TaskRecord[]; failedTasks: number },
      td: string,
      startedBy: string,
      ownerLabel: string,
    ) {
      const live = liveTasks(owner.tasks, at);
      const diff = service.desiredCount - live.length;
      if (diff > 0) {
        launch(service, owner, td, startedBy, diff, at, ownerLabel, {
          onHealthy: (t) =>
            addEvent(service, t + timings.steady * S, `(${label}) has reached a steady state.`),
          keepTrying: () => false,
        });
      } else if (diff < 0) {
        const stopped = stopTasks(live.slice(diff), at, 'Scaling activity initiated by (service)');
        addEvent(
          service,
          at,
          `(${label}) has stopped ${stopped.length} running tasks: ${taskList(stopped)}.`,
        );
      }
    }
  }

  return module;
}
