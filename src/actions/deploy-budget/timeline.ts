import {
  CodeDeployClient,
  type DeploymentConfigInfo,
  type DeploymentGroupInfo,
  type DeploymentInfo,
  type ECSTarget,
  GetDeploymentCommand,
  GetDeploymentConfigCommand,
  GetDeploymentGroupCommand,
  GetDeploymentTargetCommand,
} from '@aws-sdk/client-codedeploy';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  type ContainerDefinition,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type Service,
  type ServiceDeployment,
  type ServiceEvent,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { type AwsOptions, createAwsClient } from '../../lib/aws.ts';
import { describeError, errorName } from '../../lib/errors.ts';
import type {
  ContainerHealthCheck,
  RecordedTask,
  RecordedTimeline,
  Span,
  TargetGroupSettings,
  TrafficShifting,
} from './causes.ts';
import { parseEcrImage } from './image.ts';

/** The deploy to explain, as the deploy action reported it. */
export interface DeployRef {
  cluster: string;
  service: string;
  /** The deploy action's `deployment-id`: CodeDeploy id, ECS service deployment ARN or rolling deployment id. */
  deploymentId: string;
  taskDefinitionArn: string;
  /** When the wait for the deploy ended (epoch ms): the end of the window explained. */
  endedAt: number;
  /**
   * The deploy action's phases. ECS keeps no history of a service deployment's stages, so for
   * native blue/green the stage times seen while waiting are the only record of them.
   */
  stages?: ReadonlyArray<{ name: string; startedAt?: string; endedAt?: string }>;
}

export interface TimelineClients {
  ecs: ECSClient;
  /** ECR for the region an image's host names, or the default region when it names none. */
  ecr: (region: string | undefined) => ECRClient;
  elbv2: ElasticLoadBalancingV2Client;
  codedeploy: CodeDeployClient;
}

/** Every client through createAwsClient, so retries and request timeouts hold for every read. */
export function createTimelineClients(options: AwsOptions): TimelineClients {
  const ecrByRegion = new Map<string, ECRClient>();
  return {
    ecs: createAwsClient(ECSClient, options),
    ecr: (region) => {
      const key = region ?? '';
      let client = ecrByRegion.get(key);
      if (!client) {
        client = createAwsClient(ECRClient, { ...options, ...(region ? { region } : {}) });
        ecrByRegion.set(key, client);
      }
      return client;
    },
    elbv2: createAwsClient(ElasticLoadBalancingV2Client, options),
    codedeploy: createAwsClient(CodeDeployClient, options),
  };
}

export type DeploymentKind = 'codedeploy' | 'service-deployment' | 'rolling';

/** Which API knows the deployment, from the shape of its id. */
export function deploymentKind(id: string): DeploymentKind {
  if (/^d-[A-Z0-9]{9}$/.test(id)) return 'codedeploy';
  if (/^arn:aws[a-z-]*:ecs:[^:]*:\d{12}:service-deployment\//.test(id)) {
    return 'service-deployment';
  }
  return 'rolling';
}

/** ECS defaults for a container health check's omitted fields. */
const HEALTH_DEFAULTS = { interval: 30, timeout: 5, retries: 3, startPeriod: 0 };
const LIST_TASKS_MAX_PAGES = 10;
const DESCRIBE_TASKS_BATCH = 100;

function lastSegment(arnOrName: string): string {
  return arnOrName.slice(arnOrName.lastIndexOf('/') + 1);
}

function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)}Z`;
}

function ms(date: Date | undefined): number | undefined {
  return date === undefined ? undefined : date.getTime();
}

function denied(err: unknown): boolean {
  const name = errorName(err);
  if (
    name === 'AccessDeniedException' ||
    name === 'AccessDenied' ||
    name === 'UnauthorizedOperation'
  ) {
    return true;
  }
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403;
}

/**
 * Runs an optional read. Its failure costs what `loses` says, recorded as a note, never the
 * step: the explanation is advice, and a missing permission must not fail a deploy's budget.
 */
async function optional<T>(
  notes: string[],
  action: string,
  loses: string,
  read: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    notes.push(
      denied(err)
        ? `${action} was denied, so ${loses} (grant ${action} to explain it)`
        : `${action} failed, so ${loses}: ${describeError(err)}`,
    );
    return undefined;
  }
}

const DRAINING = /^\(([^)]*)\) has begun draining connections on \d+ tasks/;
const STOPPED = /^\(([^)]*)\) has stopped \d+ running tasks/;

interface Event {
  at: number;
  message: string;
}

function chronological(events: readonly ServiceEvent[] | undefined): Event[] {
  return (events ?? [])
    .filter((e) => e.createdAt !== undefined && typeof e.message === 'string')
    .map((e) => ({ at: e.createdAt!.getTime(), message: e.message! }))
    .sort((a, b) => a.at - b.at);
}

/**
 * Old tasks draining, from the service events: each "has begun draining connections" to the
 * next "has stopped … running tasks" of the same service or task set. A drain without its stop
 * was still going when the events were read.
 */
export function drainSpans(
  events: readonly ServiceEvent[] | undefined,
  since: number,
  readAt: number,
): Span[] {
  const list = chronological(events).filter((e) => e.at >= since);
  const spans: Span[] = [];
  list.forEach((event, index) => {
    const label = DRAINING.exec(event.message)?.[1];
    if (label === undefined) return;
    const stop = list
      .slice(index + 1)
      .find((e) => STOPPED.exec(e.message)?.[1] === label && e.at >= event.at);
    spans.push(
      stop
        ? {
            start: event.at,
            end: stop.at,
            source: `service events (${label}) 'has begun draining connections' ${clock(event.at)} → 'has stopped … running tasks' ${clock(stop.at)}`,
          }
        : {
            start: event.at,
            end: readAt,
            source: `service event (${label}) 'has begun draining connections' ${clock(event.at)}, still draining when read at ${clock(readAt)}`,
          },
    );
  });
  return spans;
}

/**
 * When a rolling update's new tasks were healthy. ECS records no such moment; but with
 * minimumHealthyPercent at 100 or more it may stop an old task only once a new one is healthy,
 * so the first old task drained (or, without a load balancer, stopped) after the last new task
 * started is a moment by which they were. Below 100 % old tasks go first, and nothing is claimed.
 */
export function rollingHealthyMark(
  events: readonly ServiceEvent[] | undefined,
  lastStartedAt: number,
  minimumHealthyPercent: number,
  loadBalanced: boolean,
): { at: number; source: string } | undefined {
  if (minimumHealthyPercent < 100) return undefined;
  const pattern = loadBalanced ? DRAINING : STOPPED;
  const event = chronological(events).find((e) => e.at >= lastStartedAt && pattern.test(e.message));
  if (!event) return undefined;
  const what = loadBalanced ? 'has begun draining connections' : 'has stopped … running tasks';
  return { at: event.at, source: `first old task released: service event '${what}'` };
}

function stageSpan(ref: DeployRef, name: string): Span | undefined {
  const stage = ref.stages?.find((s) => s.name === name);
  const start = stage?.startedAt ? Date.parse(stage.startedAt) : Number.NaN;
  const end = stage?.endedAt ? Date.parse(stage.endedAt) : Number.NaN;
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) return undefined;
  return {
    start,
    end,
    source: `${name} stage as the deploy action saw it, ${clock(start)} → ${clock(end)}`,
  };
}

function recordedTask(task: Task): RecordedTask {
  const recorded: RecordedTask = { id: lastSegment(task.taskArn ?? '') };
  for (const key of ['createdAt', 'pullStartedAt', 'pullStoppedAt', 'startedAt'] as const) {
    const at = ms(task[key]);
    if (at !== undefined) recorded[key] = at;
  }
  return recorded;
}

/** The slowest-to-pass health check among the essential containers. */
export function containerHealthCheck(
  containers: readonly ContainerDefinition[],
): ContainerHealthCheck | undefined {
  let slowest: ContainerHealthCheck | undefined;
  for (const container of containers) {
    const check = container.healthCheck;
    if (!check || container.essential === false) continue;
    const found: ContainerHealthCheck = {
      container: container.name ?? '',
      intervalSeconds: check.interval ?? HEALTH_DEFAULTS.interval,
      timeoutSeconds: check.timeout ?? HEALTH_DEFAULTS.timeout,
      retries: check.retries ?? HEALTH_DEFAULTS.retries,
      startPeriodSeconds: check.startPeriod ?? HEALTH_DEFAULTS.startPeriod,
    };
    if (!slowest || found.intervalSeconds > slowest.intervalSeconds) slowest = found;
  }
  return slowest;
}

/** Traffic routing of a CodeDeploy deployment configuration. */
export function codeDeployShifting(config: DeploymentConfigInfo): TrafficShifting {
  const routing = config.trafficRoutingConfig;
  const setting = `deployment config ${config.deploymentConfigName}`;
  if (routing?.type === 'TimeBasedCanary' && routing.timeBasedCanary) {
    return {
      setting,
      kind: 'canary',
      percentage: routing.timeBasedCanary.canaryPercentage ?? 0,
      intervalMinutes: routing.timeBasedCanary.canaryInterval ?? 0,
    };
  }
  if (routing?.type === 'TimeBasedLinear' && routing.timeBasedLinear) {
    return {
      setting,
      kind: 'linear',
      percentage: routing.timeBasedLinear.linearPercentage ?? 0,
      intervalMinutes: routing.timeBasedLinear.linearInterval ?? 0,
    };
  }
  return { setting, kind: 'all-at-once' };
}

/** Traffic shifting of an ECS native deployment (strategy BLUE_GREEN, LINEAR or CANARY). */
export function nativeShifting(
  config: ServiceDeployment['deploymentConfiguration'],
  service: string,
): TrafficShifting | undefined {
  const setting = `service ${service} deploymentConfiguration`;
  if (config?.strategy === 'CANARY' && config.canaryConfiguration) {
    return {
      setting: `${setting}.canaryConfiguration`,
      kind: 'canary',
      percentage: config.canaryConfiguration.canaryPercent ?? 0,
      intervalMinutes: config.canaryConfiguration.canaryBakeTimeInMinutes ?? 0,
    };
  }
  if (config?.strategy === 'LINEAR' && config.linearConfiguration) {
    return {
      setting: `${setting}.linearConfiguration`,
      kind: 'linear',
      percentage: config.linearConfiguration.stepPercent ?? 0,
      intervalMinutes: config.linearConfiguration.stepBakeTimeInMinutes ?? 0,
    };
  }
  if (config?.strategy === 'BLUE_GREEN') return { setting, kind: 'all-at-once' };
  return undefined;
}

function settingsOf(group: TargetGroup, delay: number | undefined): TargetGroupSettings {
  const settings: TargetGroupSettings = { name: group.TargetGroupName ?? '' };
  if (group.HealthCheckIntervalSeconds !== undefined) {
    settings.healthCheckIntervalSeconds = group.HealthCheckIntervalSeconds;
  }
  if (group.HealthCheckTimeoutSeconds !== undefined) {
    settings.healthCheckTimeoutSeconds = group.HealthCheckTimeoutSeconds;
  }
  if (group.HealthyThresholdCount !== undefined) {
    settings.healthyThresholdCount = group.HealthyThresholdCount;
  }
  if (delay !== undefined) settings.deregistrationDelaySeconds = delay;
  return settings;
}

/** The group whose health check takes longest: ECS waits for a task to be healthy in all. */
function slowestHealth(groups: readonly TargetGroupSettings[]): TargetGroupSettings | undefined {
  const floor = (g: TargetGroupSettings) =>
    (g.healthCheckIntervalSeconds ?? -1) * (g.healthyThresholdCount ?? 1);
  return [...groups].sort((a, b) => floor(b) - floor(a))[0];
}

function longestDrain(groups: readonly TargetGroupSettings[]): TargetGroupSettings | undefined {
  return [...groups].sort(
    (a, b) => (b.deregistrationDelaySeconds ?? -1) - (a.deregistrationDelaySeconds ?? -1),
  )[0];
}

function sameSettings(groups: readonly TargetGroupSettings[]): boolean {
  const key = (g: TargetGroupSettings) =>
    JSON.stringify([
      g.healthCheckIntervalSeconds,
      g.healthCheckTimeoutSeconds,
      g.healthyThresholdCount,
      g.deregistrationDelaySeconds,
    ]);
  return new Set(groups.map(key)).size <= 1;
}

/**
 * Reads what AWS recorded about one deploy: its deployment, the service with its events, the new
 * tasks, their images' sizes, the target groups and the CodeDeploy settings. Every read is
 * optional; what could not be read is left out of the timeline and named in its notes.
 */
export async function gatherTimeline(
  clients: TimelineClients,
  ref: DeployRef,
  now: () => number = Date.now,
): Promise<RecordedTimeline> {
  const notes: string[] = [];
  const kind = deploymentKind(ref.deploymentId);
  const serviceName = lastSegment(ref.service);
  const clusterName = lastSegment(ref.cluster);

  const service = await optional(
    notes,
    'ecs:DescribeServices',
    'the service settings and events are unknown',
    async () => {
      const out = await clients.ecs.send(
        new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] }),
      );
      const found = out.services?.[0];
      if (!found) throw new Error(`service ${serviceName} not found in cluster ${clusterName}`);
      return found;
    },
  );

  const codeDeploy = kind === 'codedeploy' ? await readCodeDeploy(clients, ref, notes) : undefined;
  const native =
    kind === 'service-deployment'
      ? await optional(
          notes,
          'ecs:DescribeServiceDeployments',
          'the deployment settings are unknown',
          async () =>
            (
              await clients.ecs.send(
                new DescribeServiceDeploymentsCommand({
                  serviceDeploymentArns: [ref.deploymentId],
                }),
              )
            ).serviceDeployments?.[0],
        )
      : undefined;
  const rolling =
    kind === 'rolling' ? service?.deployments?.find((d) => d.id === ref.deploymentId) : undefined;

  const created =
    ms(codeDeploy?.deployment?.createTime) ?? ms(native?.createdAt) ?? ms(rolling?.createdAt);
  const { tasks, digests } = await readTasks(clients, ref, created, notes);
  const windowStart = created ?? Math.min(ref.endedAt, ...tasks.flatMap((t) => t.createdAt ?? []));
  if (created === undefined) {
    notes.push(
      `the creation time of deployment ${ref.deploymentId} could not be read: the explained window starts at the first new task`,
    );
  }

  const timeline: RecordedTimeline = {
    window: { start: windowStart, end: ref.endedAt },
    tasks,
    notes,
  };

  const definition = await optional(
    notes,
    'ecs:DescribeTaskDefinition',
    'the container health checks and images are unknown',
    async () =>
      (
        await clients.ecs.send(
          new DescribeTaskDefinitionCommand({ taskDefinition: ref.taskDefinitionArn }),
        )
      ).taskDefinition,
  );
  const containers = definition?.containerDefinitions ?? [];
  const check = containerHealthCheck(containers);
  if (check) timeline.containerHealthCheck = check;
  const imageBytes = await readImageBytes(clients, containers, digests, notes);
  if (imageBytes !== undefined) timeline.imageBytes = imageBytes;

  await addTargetGroups(clients, timeline, service, codeDeploy?.target, kind, notes);

  const lastStartedAt = Math.max(...tasks.flatMap((t) => t.startedAt ?? []));
  if (service) timeline.drains = drainSpans(service.events, windowStart, now());

  if (kind === 'rolling' && service) {
    const config = service.deploymentConfiguration;
    const minimumHealthyPercent = config?.minimumHealthyPercent ?? 100;
    timeline.rolling = {
      desiredCount: rolling?.desiredCount ?? service.desiredCount ?? 0,
      minimumHealthyPercent,
      maximumPercent: config?.maximumPercent ?? 200,
    };
    if (Number.isFinite(lastStartedAt)) {
      const mark = rollingHealthyMark(
        service.events,
        lastStartedAt,
        minimumHealthyPercent,
        (service.loadBalancers ?? []).length > 0,
      );
      if (mark) timeline.healthy = mark;
    }
  }
  if (codeDeploy) addCodeDeployMarks(timeline, codeDeploy);
  if (kind === 'service-deployment') addNativeMarks(timeline, ref, native, serviceName);
  return timeline;
}

interface CodeDeployRecord {
  deployment?: DeploymentInfo;
  target?: ECSTarget;
  group?: DeploymentGroupInfo;
  config?: DeploymentConfigInfo;
}

async function readCodeDeploy(
  clients: TimelineClients,
  ref: DeployRef,
  notes: string[],
): Promise<CodeDeployRecord> {
  const record: CodeDeployRecord = {};
  const deploymentId = ref.deploymentId;
  const [deployment, target] = await Promise.all([
    optional(
      notes,
      'codedeploy:GetDeployment',
      'the CodeDeploy settings are unknown',
      async () =>
        (await clients.codedeploy.send(new GetDeploymentCommand({ deploymentId }))).deploymentInfo,
    ),
    optional(
      notes,
      'codedeploy:GetDeploymentTarget',
      'the lifecycle event times are unknown',
      async () =>
        (
          await clients.codedeploy.send(
            new GetDeploymentTargetCommand({
              deploymentId,
              // CodeDeploy names an ECS target `<cluster>:<service>`.
              targetId: `${lastSegment(ref.cluster)}:${lastSegment(ref.service)}`,
            }),
          )
        ).deploymentTarget?.ecsTarget,
    ),
  ]);
  if (deployment) record.deployment = deployment;
  if (target) record.target = target;
  if (!deployment?.applicationName || !deployment.deploymentGroupName) return record;
  const { applicationName, deploymentGroupName, deploymentConfigName } = deployment;
  const [group, config] = await Promise.all([
    optional(
      notes,
      'codedeploy:GetDeploymentGroup',
      'the termination wait is unknown',
      async () =>
        (
          await clients.codedeploy.send(
            new GetDeploymentGroupCommand({ applicationName, deploymentGroupName }),
          )
        ).deploymentGroupInfo,
    ),
    deploymentConfigName
      ? optional(
          notes,
          'codedeploy:GetDeploymentConfig',
          'the traffic shifting settings are unknown',
          async () =>
            (
              await clients.codedeploy.send(
                new GetDeploymentConfigCommand({ deploymentConfigName }),
              )
            ).deploymentConfigInfo,
        )
      : undefined,
  ]);
  if (group) record.group = group;
  if (config) record.config = config;
  return record;
}

interface GatheredTasks {
  tasks: RecordedTask[];
  /** Per container name, the image digest the new tasks pulled. */
  digests: Map<string, string>;
}

/**
 * The deployment's new tasks: the service's running tasks of the deployed task definition,
 * created since the deployment was. (ListTasks's `startedBy` filter would be exact for a rolling
 * update but cannot be combined with the service filter, and CodeDeploy's task sets start tasks
 * under their own ids.)
 */
async function readTasks(
  clients: TimelineClients,
  ref: DeployRef,
  since: number | undefined,
  notes: string[],
): Promise<GatheredTasks> {
  const gathered: GatheredTasks = { tasks: [], digests: new Map() };
  const arns = await optional(
    notes,
    'ecs:ListTasks',
    'the new tasks and their start times are unknown',
    async () => {
      const found: string[] = [];
      let nextToken: string | undefined;
      for (let page = 0; page < LIST_TASKS_MAX_PAGES; page++) {
        const out = await clients.ecs.send(
          new ListTasksCommand({
            cluster: ref.cluster,
            serviceName: lastSegment(ref.service),
            desiredStatus: 'RUNNING',
            maxResults: 100,
            ...(nextToken ? { nextToken } : {}),
          }),
        );
        found.push(...(out.taskArns ?? []));
        nextToken = out.nextToken;
        if (!nextToken) break;
      }
      return found;
    },
  );
  if (!arns || arns.length === 0) return gathered;
  for (let i = 0; i < arns.length; i += DESCRIBE_TASKS_BATCH) {
    const batch = arns.slice(i, i + DESCRIBE_TASKS_BATCH);
    const described = await optional(
      notes,
      'ecs:DescribeTasks',
      'the new tasks and their start times are unknown',
      async () =>
        (await clients.ecs.send(new DescribeTasksCommand({ cluster: ref.cluster, tasks: batch })))
          .tasks ?? [],
    );
    if (!described) return gathered;
    for (const task of described) {
      if (task.taskDefinitionArn !== ref.taskDefinitionArn) continue;
      const createdAt = ms(task.createdAt);
      if (since !== undefined && (createdAt === undefined || createdAt < since)) continue;
      gathered.tasks.push(recordedTask(task));
      for (const container of task.containers ?? []) {
        if (container.name && container.imageDigest) {
          gathered.digests.set(container.name, container.imageDigest);
        }
      }
    }
  }
  return gathered;
}

/**
 * The compressed size of every image the task pulls, summed; undefined (with a note) unless every
 * one is known, because a partial sum would understate the pull and overstate its rate.
 */
async function readImageBytes(
  clients: TimelineClients,
  containers: readonly ContainerDefinition[],
  digests: ReadonlyMap<string, string>,
  notes: string[],
): Promise<number | undefined> {
  if (containers.length === 0) return undefined;
  const sizes = await Promise.all(
    containers.map(async (container) => {
      const reference = container.image ?? '';
      let image: ReturnType<typeof parseEcrImage>;
      try {
        image = parseEcrImage('image', reference);
      } catch {
        notes.push(`image ${reference} is not an image reference: its size is unknown`);
        return undefined;
      }
      const digest = container.name ? digests.get(container.name) : undefined;
      return optional(
        notes,
        'ecr:DescribeImages',
        `the size of ${reference} is unknown and the pull rate is not worked out`,
        async () => {
          const out = await clients.ecr(image.region).send(
            new DescribeImagesCommand({
              repositoryName: image.repositoryName,
              imageIds: [digest ? { imageDigest: digest } : image.imageId],
              ...(image.registryId ? { registryId: image.registryId } : {}),
            }),
          );
          const size = out.imageDetails?.[0]?.imageSizeInBytes;
          if (size === undefined) throw new Error('ECR reported no imageSizeInBytes');
          return size;
        },
      );
    }),
  );
  if (sizes.some((s) => s === undefined)) return undefined;
  return sizes.reduce<number>((sum, s) => sum + (s ?? 0), 0);
}

async function describeGroups(
  clients: TimelineClients,
  query: { arns: string[] } | { names: string[] },
  notes: string[],
): Promise<TargetGroupSettings[]> {
  const groups = await optional(
    notes,
    'elasticloadbalancing:DescribeTargetGroups',
    'the health check and deregistration delay settings are unknown',
    async () =>
      (
        await clients.elbv2.send(
          new DescribeTargetGroupsCommand(
            'arns' in query ? { TargetGroupArns: query.arns } : { Names: query.names },
          ),
        )
      ).TargetGroups ?? [],
  );
  if (!groups) return [];
  return Promise.all(
    groups.map(async (group) => {
      const attributes = await optional(
        notes,
        'elasticloadbalancing:DescribeTargetGroupAttributes',
        `the deregistration delay of ${group.TargetGroupName} is unknown`,
        async () =>
          (
            await clients.elbv2.send(
              new DescribeTargetGroupAttributesCommand({ TargetGroupArn: group.TargetGroupArn }),
            )
          ).Attributes ?? [],
      );
      const raw = attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
      const delay = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
      return settingsOf(group, delay);
    }),
  );
}

/**
 * Which target group the new tasks register in and which one the old tasks drain from:
 * CodeDeploy says so per task set (Green and Blue); a rolling update uses the service's groups
 * for both; ECS blue/green alternates its two groups, so they are used only when they agree.
 */
async function addTargetGroups(
  clients: TimelineClients,
  timeline: RecordedTimeline,
  service: Service | undefined,
  target: ECSTarget | undefined,
  kind: DeploymentKind,
  notes: string[],
): Promise<void> {
  const sets = target?.taskSetsInfo ?? [];
  const green = sets.find((s) => s.taskSetLabel === 'Green')?.targetGroup?.name;
  const blue = sets.find((s) => s.taskSetLabel === 'Blue')?.targetGroup?.name;
  if (kind === 'codedeploy' && green) {
    const names = [...new Set([green, blue].filter((n) => n !== undefined))];
    const groups = await describeGroups(clients, { names }, notes);
    const newGroup = groups.find((g) => g.name === green);
    const oldGroup = groups.find((g) => g.name === blue);
    if (newGroup) timeline.newTargetGroup = newGroup;
    if (oldGroup) timeline.oldTargetGroup = oldGroup;
    return;
  }
  const arns = [
    ...new Set(
      (service?.loadBalancers ?? []).flatMap((lb) =>
        [lb.targetGroupArn, lb.advancedConfiguration?.alternateTargetGroupArn].filter(
          (a) => a !== undefined,
        ),
      ),
    ),
  ];
  if (arns.length === 0) return;
  const groups = await describeGroups(clients, { arns }, notes);
  if (groups.length === 0) return;
  if (kind !== 'rolling' && !sameSettings(groups)) {
    notes.push(
      `target groups ${groups.map((g) => g.name).join(' and ')} have different settings and ECS alternates between them: their health check and deregistration delay are not claimed`,
    );
    return;
  }
  const health = slowestHealth(groups);
  const drain = longestDrain(groups);
  if (health) timeline.newTargetGroup = health;
  if (drain) timeline.oldTargetGroup = drain;
}

function eventSpan(target: ECSTarget | undefined, name: string) {
  const event = target?.lifecycleEvents?.find((e) => e.lifecycleEventName === name);
  if (!event || event.status === 'Skipped') return undefined;
  return { start: ms(event.startTime), end: ms(event.endTime), status: event.status };
}

function addCodeDeployMarks(timeline: RecordedTimeline, record: CodeDeployRecord): void {
  const { deployment, target, group, config } = record;
  const install = eventSpan(target, 'Install');
  if (install?.status === 'Succeeded' && install.end !== undefined) {
    timeline.healthy = {
      at: install.end,
      source: 'CodeDeploy Install event end (the replacement task set is running and healthy)',
    };
  }
  if (config) {
    const shifting = codeDeployShifting(config);
    const allow = eventSpan(target, 'AllowTraffic');
    if (allow?.start !== undefined && allow.end !== undefined) {
      shifting.span = {
        start: allow.start,
        end: allow.end,
        source: `CodeDeploy AllowTraffic event ${clock(allow.start)} → ${clock(allow.end)}`,
      };
    }
    timeline.trafficShifting = shifting;
  }
  const termination =
    group?.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess;
  if (termination?.action === 'TERMINATE' && deployment?.deploymentGroupName) {
    const wait = {
      setting: `deployment group ${deployment.deploymentGroupName}`,
      minutes: termination.terminationWaitTimeInMinutes ?? 0,
    };
    const from = eventSpan(target, 'AfterAllowTraffic')?.end;
    const to = ms(deployment.completeTime);
    timeline.terminationWait =
      deployment.status === 'Succeeded' && from !== undefined && to !== undefined && to > from
        ? {
            ...wait,
            span: {
              start: from,
              end: to,
              source: `CodeDeploy AfterAllowTraffic end ${clock(from)} → deployment completeTime ${clock(to)}`,
            },
          }
        : wait;
  }
}

function addNativeMarks(
  timeline: RecordedTimeline,
  ref: DeployRef,
  deployment: ServiceDeployment | undefined,
  serviceName: string,
): void {
  const scaleUp = stageSpan(ref, 'SCALE_UP');
  if (scaleUp) {
    timeline.healthy = {
      at: scaleUp.end,
      source:
        'SCALE_UP stage end as the deploy action saw it (the new revision is running and healthy)',
    };
  }
  const config = deployment?.deploymentConfiguration;
  const shifting = nativeShifting(config, serviceName);
  if (shifting) {
    const span = stageSpan(ref, 'PRODUCTION_TRAFFIC_SHIFT');
    timeline.trafficShifting = span ? { ...shifting, span } : shifting;
  }
  if (config?.bakeTimeInMinutes !== undefined) {
    const span = stageSpan(ref, 'BAKE_TIME');
    timeline.bakeTime = {
      setting: `service ${serviceName} deploymentConfiguration`,
      minutes: config.bakeTimeInMinutes,
      ...(span ? { span } : {}),
    };
  }
}
