// Standalone ECS tasks (RunTask, StopTask, DescribeTasks): the one-off tasks a migration runs.
// A task moves PROVISIONING → PENDING (image pull) → RUNNING → STOPPING → DEPROVISIONING →
// STOPPED on the sandbox's scheduler; what its containers do is set by the scenario, matched by
// command or image: how long they run, the lines they print (to CloudWatch Logs through the
// awslogs driver) and their exit code. Images the sandbox registry lacks, or that the scenario
// marks, fail to pull; a missing log group fails the task's start, as it does on Fargate.

import { epochSeconds, randomHex, type SimContext } from '../clock.ts';
import type { Registry } from '../registry.ts';
import { AwsError } from '../types.ts';
import type { ClusterRecord, EcsTimings, TaskDefinitionRecord, TaskRecord } from './ecs.ts';
import type { LogsModule } from './logs.ts';

type Json = Record<string, unknown>;

/** What a container does once started. */
export interface RunTaskBehaviour {
  /** Matches a container whose command (override, else the task definition's), words joined by spaces, is this. */
  command?: string;
  /** Matches a container whose image is this, or ends with `/` and this. */
  image?: string;
  /** Matches only the container of this name. */
  container?: string;
  /** Exit code; when left out the container runs until it is stopped. */
  exitCode?: number;
  /** Simulated seconds from start to exit. Default 10. */
  runSeconds?: number;
  /** Lines written to its log while it runs; `$NAME` and `${NAME}` expand from its environment. */
  output?: string[];
}

export interface RunTaskScenario {
  /** First match wins; a container nothing matches runs until stopped and prints nothing. */
  behaviours?: RunTaskBehaviour[];
  /** Images whose pull fails (exact, or a suffix after `/`), besides those the registry lacks. */
  pullFailures?: string[];
  /** RunTask answers every task with a capacity failure instead of starting it. */
  capacityUnavailable?: boolean;
  /** Simulated seconds. */
  timings?: {
    /** From PENDING to the pull failure being reported. Default 5. */
    pullFailure?: number;
    /** From a stop (SIGTERM) to the containers' exit. Default 2. */
    stop?: number;
    /** DEPROVISIONING: network interface detached. Default 20. */
    deprovision?: number;
  };
}

interface ContainerRun {
  name: string;
  image: string;
  essential: boolean;
  command: string[];
  environment: Record<string, string>;
  behaviour?: RunTaskBehaviour;
  log?: { group: string; stream: string; createGroup: boolean };
  exitAt?: number;
  exitCode?: number;
  reason?: string;
}

/** What a standalone task carries beyond a service task. */
export interface StandaloneTask {
  overrides: Json;
  tags: { key: string; value: string }[];
  subnet?: string;
  assignPublicIp: boolean;
  capacityProviderName?: string;
  containers: ContainerRun[];
  /** desiredStatus is STOPPED from here on. */
  stoppingAt?: number;
  /** Every container has exited; DEPROVISIONING until the task's stopAt. */
  executionStoppedAt?: number;
  failedToStart: boolean;
}

export type StandaloneTaskRecord = TaskRecord & { standalone: StandaloneTask };

export type ImageLookup = (image: string) => Promise<boolean | undefined>;

export interface RunTaskDeps {
  ctx: SimContext;
  scenario: RunTaskScenario | undefined;
  arnPrefix: string;
  timings: EcsTimings;
  tasks: TaskRecord[];
  clusterFor(ref: unknown): ClusterRecord;
  findTaskDefinition(ref: string): TaskDefinitionRecord | undefined;
  /** DescribeTasks' view of a service's task. */
  describeTask(task: TaskRecord, at: number): Json;
}

export interface RunTaskSimulator {
  /** Wires in what the sandbox starts after ECS: CloudWatch Logs and the image registry. */
  connect(parts: { logs?: LogsModule; images?: ImageLookup }): void;
  isStandalone(task: TaskRecord): task is StandaloneTaskRecord;
  describe(task: StandaloneTaskRecord, at: number, withTags: boolean): Json;
  operations: Record<string, (params: Json) => unknown>;
}

const S = 1000;
const MAX_OVERRIDES = 8192;
const STOP_EXIT_CODE = 143; // SIGTERM

function str(params: Json, key: string): string | undefined {
  const v = params[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function invalid(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}

function lastSegment(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

function matchesImage(image: string, pattern: string): boolean {
  return image === pattern || image.endsWith(`/${pattern}`);
}

function expand(line: string, env: Record<string, string>): string {
  return line.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced?: string, bare?: string) => {
    return env[braced ?? bare ?? ''] ?? '';
  });
}

/** Asks the sandbox registry whether it holds an image it serves; other registries: unknown. */
export function registryImages(registry: Registry): ImageLookup {
  const auth = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
  return async (image) => {
    const slash = image.indexOf('/');
    const host = image.slice(0, slash);
    if (slash < 0 || (host !== registry.host && host !== registry.upstream)) return undefined;
    const rest = image.slice(slash + 1);
    const at = rest.indexOf('@');
    const colon = rest.lastIndexOf(':');
    const [repository, reference] =
      at >= 0
        ? [rest.slice(0, at), rest.slice(at + 1)]
        : colon >= 0
          ? [rest.slice(0, colon), rest.slice(colon + 1)]
          : [rest, 'latest'];
    const res = await fetch(`http://${registry.upstream}/v2/${repository}/manifests/${reference}`, {
      method: 'HEAD',
      headers: {
        ...(registry.auth ? { authorization: auth } : {}),
        accept: [
          'application/vnd.oci.image.index.v1+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.docker.distribution.manifest.v2+json',
        ].join(', '),
      },
    });
    if (res.status === 404) return false;
    return res.ok ? true : undefined;
  };
}

export function createRunTasks(deps: RunTaskDeps): RunTaskSimulator {
  const { ctx, scenario, arnPrefix, timings } = deps;
  const { scheduler, random, region } = ctx;
  const pullFailureAfter = (scenario?.timings?.pullFailure ?? 5) * S;
  const stopAfter = (scenario?.timings?.stop ?? 2) * S;
  const deprovisionAfter = (scenario?.timings?.deprovision ?? 20) * S;
  const pullFailures = scenario?.pullFailures ?? [];
  let logs: LogsModule | undefined;
  let images: ImageLookup | undefined;
  /** clientToken → the tasks that request started (RunTask is idempotent per token). */
  const byToken = new Map<string, StandaloneTaskRecord[]>();

  const now = () => ctx.clock.now();

  function isStandalone(task: TaskRecord): task is StandaloneTaskRecord {
    return (task as Partial<StandaloneTaskRecord>).standalone !== undefined;
  }

  function behaviourFor(container: Omit<ContainerRun, 'behaviour'>): RunTaskBehaviour | undefined {
    const joined = container.command.join(' ');
    return scenario?.behaviours?.find(
      (b) =>
        (b.container === undefined || b.container === container.name) &&
        (b.command === undefined || b.command === joined) &&
        (b.image === undefined || matchesImage(container.image, b.image)),
    );
  }

  function containerRuns(
    td: TaskDefinitionRecord,
    overrides: Json,
    taskId: string,
  ): ContainerRun[] {
    const list = (overrides.containerOverrides as Json[] | undefined) ?? [];
    return (td.definition.containerDefinitions as Json[]).map((c) => {
      const name = String(c.name);
      const override = list.find((o) => o.name === name) ?? {};
      const environment: Record<string, string> = {};
      for (const source of [c.environment, override.environment]) {
        for (const pair of (source as Json[] | undefined) ?? []) {
          environment[String(pair.name)] = String(pair.value ?? '');
        }
      }
      const command = (
        Array.isArray(override.command) ? override.command : (c.command ?? [])
      ) as string[];
      const logConfiguration = c.logConfiguration as Json | undefined;
      const options = (logConfiguration?.options as Record<string, string> | undefined) ?? {};
      const group = options['awslogs-group'];
      const prefix = options['awslogs-stream-prefix'];
      const run: ContainerRun = {
        name,
        image: String(c.image),
        essential: c.essential !== false,
        command,
        environment,
        ...(logConfiguration?.logDriver === 'awslogs' && group && prefix
          ? {
              log: {
                group,
                stream: `${prefix}/${name}/${taskId}`,
                createGroup: options['awslogs-create-group'] === 'true',
              },
            }
          : {}),
      };
      const behaviour = behaviourFor(run);
      return behaviour ? { ...run, behaviour } : run;
    });
  }

  // ---------- validation ----------

  function validate(params: Json, td: TaskDefinitionRecord): void {
    const count = params.count ?? 1;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 10) {
      throw invalid('count must be between 1 and 10.');
    }
    if (params.launchType !== undefined && params.capacityProviderStrategy !== undefined) {
      throw invalid(
        'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
      );
    }
    const launchType = str(params, 'launchType');
    const compatibilities = (td.definition.compatibilities as string[] | undefined) ?? [];
    if (launchType !== undefined && !compatibilities.includes(launchType)) {
      throw invalid(`Task definition does not support launch_type ${launchType}.`);
    }
    if (td.definition.networkMode === 'awsvpc') {
      const network = (params.networkConfiguration as Json | undefined)?.awsvpcConfiguration as
        | Json
        | undefined;
      if (network === undefined) {
        throw invalid(
          "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
        );
      }
      const subnets = network.subnets;
      if (!Array.isArray(subnets) || subnets.length === 0) {
        throw invalid('subnets can not be empty.');
      }
      if (subnets.length > 16) throw invalid('subnets can have at most 16 items.');
      for (const subnet of subnets) {
        if (typeof subnet !== 'string' || !/^subnet-[0-9a-f]{8,17}$/.test(subnet)) {
          throw invalid(
            `Error retrieving subnet information for [${String(subnet)}]: The subnet ID '${String(subnet)}' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound)`,
          );
        }
      }
      const groups = (network.securityGroups as unknown[] | undefined) ?? [];
      if (groups.length > 5) throw invalid('securityGroups can have at most 5 items.');
      const assign = network.assignPublicIp;
      if (assign !== undefined && assign !== 'ENABLED' && assign !== 'DISABLED') {
        throw invalid(`Invalid assignPublicIp value: ${String(assign)}`);
      }
    }
    const overrides = (params.overrides as Json | undefined) ?? {};
    const names = new Set((td.definition.containerDefinitions as Json[]).map((c) => c.name));
    for (const o of (overrides.containerOverrides as Json[] | undefined) ?? []) {
      if (!names.has(o.name)) {
        throw invalid(
          `Override for container named ${String(o.name)} is not a container in the TaskDefinition.`,
        );
      }
    }
    if (JSON.stringify(overrides.containerOverrides ?? []).length > MAX_OVERRIDES) {
      throw invalid(`Container Overrides length must be at most ${MAX_OVERRIDES}`);
    }
    const startedBy = str(params, 'startedBy');
    if (startedBy !== undefined && startedBy.length > 128) {
      throw invalid('startedBy must be at most 128 characters.');
    }
    const tags = (params.tags as Json[] | undefined) ?? [];
    if (tags.length > 50) throw invalid('Tags can have at most 50 items.');
    for (const tag of tags) {
      if (String(tag.key).toLowerCase().startsWith('aws:')) {
        throw invalid('Tag keys beginning with aws: are reserved for AWS use.');
      }
    }
    const token = str(params, 'clientToken');
    if (token !== undefined && (token.length > 64 || !/^[\x21-\x7e]+$/.test(token))) {
      throw invalid('clientToken must be up to 64 characters in the range 33-126.');
    }
  }

  // ---------- lifecycle ----------

  /** The task stops: desiredStatus STOPPED now, containers exit after `exitAfter`, then deprovisioning. */
  function stopTask(
    task: StandaloneTaskRecord,
    at: number,
    reason: string,
    stopCode: string,
    exitAfter: number,
  ): void {
    const info = task.standalone;
    if (info.stoppingAt !== undefined) return;
    info.stoppingAt = at;
    task.stoppedReason = reason;
    task.stopCode = stopCode;
    const started = task.runningAt <= at;
    let lastExit = at;
    for (const c of info.containers) {
      if (c.exitAt !== undefined && c.exitAt <= at) continue;
      if (started) {
        c.exitAt = at + exitAfter;
        c.exitCode = STOP_EXIT_CODE;
        lastExit = Math.max(lastExit, c.exitAt);
      } else {
        c.exitAt = at;
      }
    }
    info.executionStoppedAt = lastExit;
    task.stopAt = lastExit + deprovisionAfter;
  }

  function failToStart(task: StandaloneTaskRecord, at: number, reason: string, container?: string) {
    const info = task.standalone;
    info.failedToStart = true;
    task.runningAt = Number.POSITIVE_INFINITY;
    for (const c of info.containers) {
      if (c.name === container) c.reason = reason;
    }
    stopTask(task, at, reason, 'TaskFailedToStart', 0);
  }

  function start(task: StandaloneTaskRecord, at: number): void {
    const info = task.standalone;
    for (const c of info.containers) {
      if (c.log !== undefined) logs?.createStream(c.log.group, c.log.stream, at);
      const b = c.behaviour;
      if (b === undefined) continue;
      const runFor = (b.runSeconds ?? 10) * S;
      const lines = b.output ?? [];
      const spacing = b.exitCode === undefined ? S : runFor / (lines.length + 1);
      lines.forEach((line, i) => {
        const t = at + (i + 1) * spacing;
        scheduler.at(t, () => {
          if (c.exitAt !== undefined && c.exitAt <= t) return;
          if (c.log !== undefined) {
            logs?.putEvents(c.log.group, c.log.stream, [
              { timestamp: t, message: expand(line, c.environment) },
            ]);
          }
        });
      });
      if (b.exitCode === undefined) continue;
      const exitCode = b.exitCode;
      scheduler.at(at + runFor, (t) => {
        if (c.exitAt !== undefined) return;
        c.exitAt = t;
        c.exitCode = exitCode;
        if (c.essential) {
          stopTask(
            task,
            t,
            'Essential container in task exited',
            'EssentialContainerExited',
            stopAfter,
          );
        }
      });
    }
  }

  async function pullProblem(containers: ContainerRun[]) {
    for (const c of containers) {
      const marked = pullFailures.some((p) => matchesImage(c.image, p));
      const known = marked ? false : await images?.(c.image);
      if (marked || known === false) {
        return {
          container: c.name,
          reason: `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${c.image}: ${c.image}: not found`,
        };
      }
    }
    return undefined;
  }

  function logProblem(containers: ContainerRun[], at: number) {
    for (const c of containers) {
      if (c.log === undefined || logs === undefined) continue;
      if (logs.hasGroup(c.log.group)) continue;
      if (c.log.createGroup) {
        logs.createGroup(c.log.group, at);
        continue;
      }
      return {
        container: c.name,
        reason:
          'ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1',
      };
    }
    return undefined;
  }

  function launch(
    params: Json,
    cluster: ClusterRecord,
    td: TaskDefinitionRecord,
    at: number,
    pull: { container: string; reason: string } | undefined,
  ): StandaloneTaskRecord {
    const id = randomHex(random, 32);
    const overrides = (params.overrides as Json | undefined) ?? {};
    const network = ((params.networkConfiguration as Json | undefined)?.awsvpcConfiguration ??
      {}) as Json;
    const strategy = params.capacityProviderStrategy as Json[] | undefined;
    const containers = containerRuns(td, overrides, id);
    const pendingAt = at + timings.provision * S;
    const task: StandaloneTaskRecord = {
      arn: `${arnPrefix}:task/${cluster.name}/${id}`,
      id,
      clusterArn: cluster.arn,
      taskDefinitionArn: td.arn,
      group: str(params, 'group') ?? `family:${td.family}`,
      startedBy: str(params, 'startedBy') ?? '',
      createdAt: at,
      pendingAt,
      runningAt: pendingAt + timings.start * S,
      containers: containers.map((c) => ({ name: c.name, image: c.image })),
      launchType: strategy === undefined ? (str(params, 'launchType') ?? 'FARGATE') : 'FARGATE',
      platformVersion: str(params, 'platformVersion') ?? '1.4.0',
      ...(td.definition.cpu !== undefined ? { cpu: String(td.definition.cpu) } : {}),
      ...(td.definition.memory !== undefined ? { memory: String(td.definition.memory) } : {}),
      standalone: {
        overrides,
        tags: ((params.tags as { key: string; value: string }[] | undefined) ?? []).map((t) => ({
          key: t.key,
          value: t.value,
        })),
        ...(Array.isArray(network.subnets) ? { subnet: String(network.subnets[0]) } : {}),
        assignPublicIp: network.assignPublicIp === 'ENABLED',
        ...(strategy?.[0]?.capacityProvider !== undefined
          ? { capacityProviderName: String(strategy[0].capacityProvider) }
          : {}),
        containers,
        failedToStart: false,
      },
    };
    deps.tasks.push(task);
    scheduler.at(pendingAt, (t) => {
      if (task.standalone.stoppingAt !== undefined) return;
      const problem = logProblem(containers, t);
      if (problem) {
        failToStart(task, t, problem.reason, problem.container);
        return;
      }
      if (pull) {
        scheduler.at(t + pullFailureAfter, (failedAt) => {
          if (task.standalone.stoppingAt === undefined) {
            failToStart(task, failedAt, pull.reason, pull.container);
          }
        });
        return;
      }
      scheduler.at(task.runningAt, (startedAt) => {
        if (task.standalone.stoppingAt === undefined) start(task, startedAt);
      });
    });
    return task;
  }

  // ---------- describing ----------

  function status(task: StandaloneTaskRecord, at: number): string {
    const info = task.standalone;
    if (task.stopAt !== undefined && task.stopAt <= at) return 'STOPPED';
    if (info.executionStoppedAt !== undefined && info.executionStoppedAt <= at) {
      return 'DEPROVISIONING';
    }
    if (info.stoppingAt !== undefined && info.stoppingAt <= at) return 'STOPPING';
    if (task.runningAt <= at) return 'RUNNING';
    if (task.pendingAt <= at) return 'PENDING';
    return 'PROVISIONING';
  }

  function describe(task: StandaloneTaskRecord, at: number, withTags: boolean): Json {
    const info = task.standalone;
    const lastStatus = status(task, at);
    const stopping = info.stoppingAt !== undefined && info.stoppingAt <= at;
    const running = task.runningAt <= at;
    const eni = `eni-${task.id.slice(0, 17)}`;
    const ip = `10.0.${parseInt(task.id.slice(0, 2), 16)}.${parseInt(task.id.slice(2, 4), 16)}`;
    const attachmentId = `${task.id.slice(0, 8)}-${task.id.slice(8, 12)}-${task.id.slice(12, 16)}-${task.id.slice(16, 20)}-${task.id.slice(20)}`;
    const stamp = (key: string, ms: number | undefined) =>
      ms !== undefined && ms <= at ? { [key]: epochSeconds(ms) } : {};
    return {
      taskArn: task.arn,
      clusterArn: task.clusterArn,
      taskDefinitionArn: task.taskDefinitionArn,
      group: task.group,
      ...(task.startedBy !== '' ? { startedBy: task.startedBy } : {}),
      lastStatus,
      desiredStatus: stopping ? 'STOPPED' : 'RUNNING',
      launchType: task.launchType,
      ...(info.capacityProviderName !== undefined
        ? { capacityProviderName: info.capacityProviderName }
        : {}),
      platformVersion: task.platformVersion,
      platformFamily: 'Linux',
      ...(task.cpu !== undefined ? { cpu: task.cpu } : {}),
      ...(task.memory !== undefined ? { memory: task.memory } : {}),
      availabilityZone: `${region}a`,
      connectivity: at >= task.pendingAt ? 'CONNECTED' : 'CONNECTING',
      ...stamp('connectivityAt', task.pendingAt),
      createdAt: epochSeconds(task.createdAt),
      ...stamp('pullStartedAt', task.pendingAt),
      ...(running ? stamp('pullStoppedAt', task.runningAt - 2 * S) : {}),
      ...stamp('startedAt', task.runningAt),
      ...stamp('stoppingAt', info.stoppingAt),
      ...stamp('executionStoppedAt', info.executionStoppedAt),
      ...stamp('stoppedAt', task.stopAt),
      ...(stopping ? { stoppedReason: task.stoppedReason, stopCode: task.stopCode } : {}),
      attachments: [
        {
          id: attachmentId,
          type: 'ElasticNetworkInterface',
          status:
            lastStatus === 'STOPPED'
              ? 'DELETED'
              : lastStatus === 'DEPROVISIONING'
                ? 'DETACHING'
                : at >= task.pendingAt
                  ? 'ATTACHED'
                  : 'PRECREATED',
          details: [
            ...(info.subnet !== undefined ? [{ name: 'subnetId', value: info.subnet }] : []),
            { name: 'networkInterfaceId', value: eni },
            { name: 'privateIPv4Address', value: ip },
          ],
        },
      ],
      containers: info.containers.map((c) => {
        const exited = c.exitAt !== undefined && c.exitAt <= at;
        return {
          containerArn: `${arnPrefix}:container/${task.clusterArn.slice(task.clusterArn.lastIndexOf('/') + 1)}/${task.id}/${randomHexFor(task.id, c.name)}`,
          taskArn: task.arn,
          name: c.name,
          image: c.image,
          ...(running
            ? { runtimeId: `${task.id}-${randomHexFor(c.name, task.id).slice(0, 10)}` }
            : {}),
          lastStatus: exited ? 'STOPPED' : running ? 'RUNNING' : 'PENDING',
          ...(exited && c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
          ...(exited && c.reason !== undefined ? { reason: c.reason } : {}),
          networkInterfaces: [{ attachmentId, privateIpv4Address: ip }],
          healthStatus: 'UNKNOWN',
          cpu: '0',
        };
      }),
      overrides: {
        containerOverrides: (info.overrides.containerOverrides as Json[] | undefined) ?? [],
        inferenceAcceleratorOverrides: [],
      },
      healthStatus: 'UNKNOWN',
      enableExecuteCommand: false,
      ephemeralStorage: { sizeInGiB: 20 },
      version:
        1 +
        [
          task.pendingAt,
          task.runningAt,
          info.stoppingAt,
          info.executionStoppedAt,
          task.stopAt,
        ].filter((t) => t !== undefined && t <= at).length,
      ...(withTags ? { tags: info.tags } : {}),
    };
  }

  // ---------- operations ----------

  const operations: Record<string, (params: Json) => unknown> = {
    async RunTask(params) {
      const cluster = deps.clusterFor(params.cluster);
      const ref = str(params, 'taskDefinition');
      if (ref === undefined) throw invalid('TaskDefinition can not be blank.');
      const td = deps.findTaskDefinition(ref);
      if (td === undefined) throw new AwsError('ClientException', 'TaskDefinition not found.');
      if (td.status !== 'ACTIVE') {
        throw new AwsError('ClientException', `TaskDefinition is inactive: ${td.arn}`);
      }
      validate(params, td);
      const token = str(params, 'clientToken');
      const seen = token !== undefined ? byToken.get(token) : undefined;
      if (seen !== undefined) {
        return { tasks: seen.map((t) => describe(t, now(), false)), failures: [] };
      }
      const count = (params.count as number | undefined) ?? 1;
      if (scenario?.capacityUnavailable === true) {
        return {
          tasks: [],
          failures: Array.from({ length: count }, () => ({
            reason:
              'Capacity is unavailable at this time. Please try again later or in a different availability zone',
          })),
        };
      }
      const pull = await pullProblem(containerRuns(td, {}, ''));
      const at = now();
      const started = Array.from({ length: count }, () => launch(params, cluster, td, at, pull));
      if (token !== undefined) byToken.set(token, started);
      return { tasks: started.map((t) => describe(t, at, false)), failures: [] };
    },
    StopTask(params) {
      const cluster = deps.clusterFor(params.cluster);
      const ref = str(params, 'task');
      if (ref === undefined) throw invalid('Task can not be blank.');
      const reason = str(params, 'reason');
      if (reason !== undefined && reason.length > 255) {
        throw invalid('Reason must be at most 255 characters.');
      }
      const id = lastSegment(ref);
      const task = deps.tasks.find((t) => t.clusterArn === cluster.arn && t.id === id);
      if (task === undefined) throw invalid('The referenced task was not found.');
      const at = now();
      const why = reason ?? 'Task stopped by user';
      if (isStandalone(task)) {
        stopTask(task, at, why, 'UserInitiated', stopAfter);
        return { task: describe(task, at, false) };
      }
      if (task.stopAt === undefined || task.stopAt > at) {
        task.stopAt = at;
        task.stoppedReason = why;
        task.stopCode = 'UserInitiated';
      }
      return { task: deps.describeTask(task, at) };
    },
  };

  return {
    connect(parts) {
      if (parts.logs !== undefined) logs = parts.logs;
      if (parts.images !== undefined) images = parts.images;
    },
    isStandalone,
    describe,
    operations,
  };
}

/** A stable 32-digit hex id derived from two strings (container ARNs repeat between calls). */
function randomHexFor(a: string, b: string): string {
  let h = 2166136261;
  let out = '';
  const text = `${a}/${b}`;
  while (out.length < 32) {
    for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 32);
}
