import {
  type Deployment,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  type DescribeServicesCommandOutput,
  DescribeTasksCommand,
  type ECSClient,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  type Service,
  type ServiceDeployment,
  type ServiceEvent,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { ActionError } from '../../lib/errors.ts';
import { type PollStep, PollTimeoutError, poll } from '../../lib/poll.ts';
import { shortTaskDefinition } from '../../lib/task-definition.ts';
import type { PollTiming } from './codedeploy.ts';
import { latest, StageTimeline, spanSeconds, toPhase } from './phases.ts';
import { formatWeights, type Progress } from './progress.ts';
import type { Phase, TrafficPoint, WaitOutcome, WaitUntil } from './types.ts';

/** Lifecycle stages of an ECS blue/green, linear or canary service deployment, in order. */
export const NATIVE_STAGES = [
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

export const NATIVE_STRATEGIES = ['BLUE_GREEN', 'LINEAR', 'CANARY'] as const;
const NATIVE_ACTIVE = [
  'PENDING',
  'IN_PROGRESS',
  'STOP_REQUESTED',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
] as const;
const NATIVE_TERMINAL = new Set([
  'SUCCESSFUL',
  'STOPPED',
  'ROLLBACK_SUCCESSFUL',
  'ROLLBACK_FAILED',
]);
const NATIVE_FAILED = new Set([
  'STOPPED',
  'STOP_REQUESTED',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_SUCCESSFUL',
  'ROLLBACK_FAILED',
]);
/** Polls between two reads of the service (for its events) while following a service deployment. */
const SERVICE_REFRESH_POLLS = 6;

function errorName(err: unknown): string | undefined {
  return (err as { name?: string } | undefined)?.name;
}

export async function describeService(
  ecs: ECSClient,
  cluster: string,
  service: string,
): Promise<Service> {
  let out: DescribeServicesCommandOutput;
  try {
    out = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  } catch (err) {
    if (errorName(err) === 'ClusterNotFoundException') {
      throw new ActionError(`cluster: cluster '${cluster}' not found`);
    }
    throw err;
  }
  const found = out.services?.[0];
  if (!found) {
    const reason = out.failures?.[0]?.reason ?? 'MISSING';
    throw new ActionError(
      `service: service '${service}' not found in cluster '${cluster}' (${reason})`,
    );
  }
  if (found.status && found.status !== 'ACTIVE') {
    throw new ActionError(
      `service: service '${service}' in cluster '${cluster}' is ${found.status}`,
    );
  }
  return found;
}

export function strategyOf(service: Service): string {
  return service.deploymentConfiguration?.strategy ?? 'ROLLING';
}

export function isNativeStrategy(strategy: string): boolean {
  return (NATIVE_STRATEGIES as readonly string[]).includes(strategy);
}

/** The few newest service events a person reads in an error message, oldest first. */
export function lastEvents(service: Service | undefined, count = 3): string[] {
  return (service?.events ?? [])
    .slice(0, count)
    .reverse()
    .map((e) => e.message ?? '');
}

// ---------------------------------------------------------------------------------------------
// Rolling updates

export interface RollingView {
  status: string;
  deployed: boolean;
  complete: boolean;
  failed: boolean;
  rolledBack: boolean;
  reason?: string;
  ours?: Deployment;
  primary?: Deployment;
}

function isSteady(d: Deployment): boolean {
  return (d.runningCount ?? 0) === (d.desiredCount ?? 0) && (d.pendingCount ?? 0) === 0;
}

/** A rolling deployment in progress on the service, if any. */
export function activeRollingDeployment(service: Service): Deployment | undefined {
  return (service.deployments ?? []).find((d) => d.rolloutState === 'IN_PROGRESS');
}

/** The service runs exactly `taskDefinitionArn`, with one finished deployment. */
export function rollingSettledOn(service: Service, taskDefinitionArn: string): boolean {
  const deployments = service.deployments ?? [];
  const only = deployments[0];
  return (
    deployments.length === 1 &&
    only !== undefined &&
    only.taskDefinition === taskDefinitionArn &&
    (only.rolloutState === 'COMPLETED' || (only.rolloutState === undefined && isSteady(only)))
  );
}

/**
 * What a service's deployments say about ours. ECS's circuit breaker marks our deployment FAILED
 * and starts a new PRIMARY on the previous revision: the service ends up stable, on the wrong
 * task definition, which is a failed deploy.
 */
export function interpretRolling(
  service: Service,
  deploymentId: string | undefined,
  taskDefinitionArn: string,
  lastSeen?: Deployment,
): RollingView {
  const deployments = service.deployments ?? [];
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const ours =
    deployments.find((d) => deploymentId !== undefined && d.id === deploymentId) ??
    deployments.find((d) => d.taskDefinition === taskDefinitionArn && d.status === 'PRIMARY');
  const replaced = primary !== undefined && primary.taskDefinition !== taskDefinitionArn;
  const failed = ours?.rolloutState === 'FAILED' || (ours === undefined && replaced);
  const view: RollingView = {
    status: ours?.rolloutState ?? (failed ? 'FAILED' : (primary?.rolloutState ?? 'UNKNOWN')),
    deployed: false,
    complete: false,
    failed,
    rolledBack: failed && replaced,
  };
  if (ours) view.ours = ours;
  if (primary) view.primary = primary;
  if (failed) {
    // Once the rollback is over ECS no longer lists the failed deployment: its reason is
    // taken from the last poll that saw it.
    const known = ours ?? (lastSeen?.id === deploymentId ? lastSeen : undefined);
    const id = known?.id ?? deploymentId;
    const parts: string[] = [];
    if (known?.rolloutState === 'FAILED' && known.rolloutStateReason)
      parts.push(known.rolloutStateReason);
    const now = shortTaskDefinition(primary?.taskDefinition);
    parts.push(
      view.rolledBack ? `rolled back to ${now}` : `the service's PRIMARY deployment is ${now}`,
    );
    view.reason = `ECS deployment${id ? ` ${id}` : ''} of ${shortTaskDefinition(taskDefinitionArn)} failed: ${parts.join('; ')}`;
    return view;
  }
  if (ours && ours.status === 'PRIMARY' && ours.taskDefinition === taskDefinitionArn) {
    view.deployed =
      ours.rolloutState === 'COMPLETED' || (ours.rolloutState === undefined && isSteady(ours));
    view.complete = view.deployed && deployments.length === 1 && isSteady(ours);
  }
  return view;
}

// ---------------------------------------------------------------------------------------------
// Native blue/green, linear and canary

export interface NativeView {
  status: string;
  stage?: string;
  ready: boolean;
  deployed: boolean;
  complete: boolean;
  terminal: boolean;
  failed: boolean;
  rolledBack: boolean;
  reason?: string;
  weights: Record<string, number>;
}

function stageIndex(stage: string | undefined): number {
  return stage === undefined ? -1 : (NATIVE_STAGES as readonly string[]).indexOf(stage);
}

function nativeReason(sd: ServiceDeployment): string {
  const parts = [`ECS service deployment ${sd.serviceDeploymentArn ?? ''} ${sd.status}`];
  if (sd.statusReason) parts.push(sd.statusReason);
  if (sd.rollback?.reason && sd.rollback.reason !== sd.statusReason)
    parts.push(`rollback: ${sd.rollback.reason}`);
  for (const hook of sd.lifecycleHookDetails ?? []) {
    if (hook.status === 'FAILED' || hook.status === 'TIMED_OUT') {
      parts.push(`hook ${hook.targetArn ?? hook.hookId} ${hook.status}`);
    }
  }
  const cb = sd.deploymentCircuitBreaker;
  if (cb?.status === 'TRIGGERED') {
    parts.push(
      `circuit breaker triggered (${cb.failureCount ?? '?'} of ${cb.threshold ?? '?'} tasks failed)`,
    );
  }
  if (sd.alarms?.status === 'TRIGGERED') {
    parts.push(`alarms triggered: ${(sd.alarms.triggeredAlarmNames ?? []).join(', ')}`);
  }
  return parts.join('; ');
}

export function interpretNative(sd: ServiceDeployment): NativeView {
  const status = sd.status ?? 'PENDING';
  const index = stageIndex(sd.lifecycleStage);
  const successful = status === 'SUCCESSFUL';
  const failed = NATIVE_FAILED.has(status);
  const weights: Record<string, number> = {};
  const target = sd.targetServiceRevision;
  if (target?.requestedProductionTrafficWeight !== undefined) {
    weights.production = target.requestedProductionTrafficWeight;
  }
  if (target?.requestedTestTrafficWeight !== undefined)
    weights.test = target.requestedTestTrafficWeight;
  const view: NativeView = {
    status,
    ready: successful || (!failed && index > stageIndex('TEST_TRAFFIC_SHIFT')),
    deployed: successful || (!failed && index > stageIndex('PRODUCTION_TRAFFIC_SHIFT')),
    complete: successful,
    terminal: NATIVE_TERMINAL.has(status),
    failed,
    rolledBack: status === 'ROLLBACK_SUCCESSFUL',
    weights,
  };
  if (sd.lifecycleStage) view.stage = sd.lifecycleStage;
  if (failed) view.reason = nativeReason(sd);
  return view;
}

export interface ActiveServiceDeployment {
  arn: string;
  status: string;
}

export async function activeNativeDeployment(
  ecs: ECSClient,
  cluster: string,
  service: string,
): Promise<ActiveServiceDeployment | undefined> {
  const out = await ecs.send(
    new ListServiceDeploymentsCommand({ cluster, service, status: [...NATIVE_ACTIVE] }),
  );
  const found = out.serviceDeployments?.[0];
  if (!found?.serviceDeploymentArn) return undefined;
  return { arn: found.serviceDeploymentArn, status: found.status ?? 'IN_PROGRESS' };
}

// ---------------------------------------------------------------------------------------------
// Starting and following

export interface UpdateParams {
  cluster: string;
  service: string;
  taskDefinitionArn: string;
  desiredCount?: number;
  forceNewDeployment: boolean;
}

export interface StartedEcsDeployment {
  service: Service;
  /** The rolling deployment's id (`ecs-svc/…`), when ECS reported the new PRIMARY. */
  deploymentId?: string;
  /** The service deployment ARN, when ECS reported it. */
  serviceDeploymentArn?: string;
}

export async function updateService(
  ecs: ECSClient,
  params: UpdateParams,
): Promise<StartedEcsDeployment> {
  const out = await ecs.send(
    new UpdateServiceCommand({
      cluster: params.cluster,
      service: params.service,
      taskDefinition: params.taskDefinitionArn,
      ...(params.desiredCount !== undefined ? { desiredCount: params.desiredCount } : {}),
      ...(params.forceNewDeployment ? { forceNewDeployment: true } : {}),
    }),
  );
  const service = out.service;
  if (!service) throw new ActionError(`UpdateService returned no service for ${params.service}`);
  const started: StartedEcsDeployment = { service };
  const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
  if (primary?.id) started.deploymentId = primary.id;
  if (service.currentServiceDeployment)
    started.serviceDeploymentArn = service.currentServiceDeployment;
  return started;
}

/** The service deployment UpdateService just started, when its answer did not name it. */
export async function findNewServiceDeployment(
  ecs: ECSClient,
  cluster: string,
  service: string,
): Promise<string | undefined> {
  const out = await ecs.send(
    new ListServiceDeploymentsCommand({ cluster, service, status: ['PENDING', 'IN_PROGRESS'] }),
  );
  const newest = [...(out.serviceDeployments ?? [])].sort(
    (a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0),
  )[0];
  return newest?.serviceDeploymentArn;
}

/** Why the new tasks stopped: the most useful line when a deployment fails to start tasks. */
export async function stoppedTaskReasons(
  ecs: ECSClient,
  cluster: string,
  service: string,
  taskDefinitionArn: string,
  limit = 3,
): Promise<string[]> {
  try {
    const list = await ecs.send(
      new ListTasksCommand({
        cluster,
        serviceName: service,
        desiredStatus: 'STOPPED',
        maxResults: 100,
      }),
    );
    const arns = list.taskArns ?? [];
    if (arns.length === 0) return [];
    const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }));
    const reasons: string[] = [];
    const tasks = (described.tasks ?? [])
      .filter((t) => t.taskDefinitionArn === taskDefinitionArn)
      .sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0));
    for (const task of tasks) {
      const containers = (task.containers ?? [])
        .filter((c) => c.reason || (c.exitCode !== undefined && c.exitCode !== 0))
        .map((c) => `${c.name}: ${c.reason ?? `exit code ${c.exitCode}`}`);
      const text = [task.stoppedReason, ...containers].filter(Boolean).join(', ');
      if (text && !reasons.includes(text)) reasons.push(text);
      if (reasons.length >= limit) break;
    }
    return reasons;
  } catch {
    // Diagnostics only: the failure being reported matters more than why its details are missing.
    return [];
  }
}

export interface EcsWait {
  cluster: string;
  service: string;
  taskDefinitionArn: string;
  previousTaskDefinitionArn?: string;
  waitUntil: WaitUntil;
  rollbackOnTimeout: boolean;
  timeoutText: string;
  timing: PollTiming;
  /** Service events that were there before the deployment: not printed again. */
  knownEvents: ServiceEvent[];
}

class EventPrinter {
  readonly #seen: Set<string>;
  readonly #progress: Progress;
  constructor(progress: Progress, known: ServiceEvent[]) {
    this.#progress = progress;
    this.#seen = new Set(known.map((e) => e.id ?? e.message ?? ''));
  }
  print(service: Service | undefined): void {
    const fresh = (service?.events ?? []).filter((e) => !this.#seen.has(e.id ?? e.message ?? ''));
    for (const event of fresh.reverse()) {
      this.#seen.add(event.id ?? event.message ?? '');
      this.#progress.report(
        `service-event:${event.id ?? event.message}`,
        `event: ${event.message}`,
      );
    }
  }
}

async function failureDetails(
  ecs: ECSClient,
  wait: EcsWait,
  service: Service | undefined,
  reason: string,
): Promise<string> {
  const parts = [reason];
  const events = lastEvents(service);
  if (events.length > 0) parts.push(`last service events: ${events.join(' | ')}`);
  const stopped = await stoppedTaskReasons(ecs, wait.cluster, wait.service, wait.taskDefinitionArn);
  if (stopped.length > 0) parts.push(`stopped tasks: ${stopped.join(' | ')}`);
  return parts.join('; ');
}

/** Follows a rolling update through DescribeServices: one call per poll. */
export async function waitForRolling(
  ecs: ECSClient,
  progress: Progress,
  wait: EcsWait,
  deploymentId: string | undefined,
): Promise<WaitOutcome> {
  const printer = new EventPrinter(progress, wait.knownEvents);
  const notes: string[] = [];
  let service: Service | undefined;
  let view: RollingView | undefined;
  let completedAt: Date | undefined;
  let rolledBack = false;
  progress.stage(
    `Rolling update of ${wait.service} to ${shortTaskDefinition(wait.taskDefinitionArn)}`,
  );

  const reached = (v: RollingView) => (wait.waitUntil === 'complete' ? v.complete : v.deployed);

  let lastSeen: Deployment | undefined;
  const check = async (): Promise<PollStep<RollingView>> => {
    service = await describeService(ecs, wait.cluster, wait.service);
    view = interpretRolling(service, deploymentId, wait.taskDefinitionArn, lastSeen);
    if (view.ours) lastSeen = view.ours;
    printer.print(service);
    for (const d of service.deployments ?? []) {
      const failedTasks = d.failedTasks ? `, ${d.failedTasks} failed` : '';
      progress.report(
        `deployment:${d.id}`,
        `${d.status} ${shortTaskDefinition(d.taskDefinition)}: ${d.runningCount ?? 0}/${d.desiredCount ?? 0} running, ${d.pendingCount ?? 0} pending${failedTasks} (${d.rolloutState ?? 'no rollout state'})`,
      );
    }
    if (view.deployed && !completedAt) {
      completedAt = view.ours?.updatedAt ?? new Date();
      if (wait.waitUntil === 'complete' && !view.complete) {
        progress.stage(`Waiting for ${wait.service} to drain the old tasks`);
      }
    }
    if (view.failed || reached(view)) return { done: true, value: view };
    return { done: false };
  };

  let failure: string | undefined;
  try {
    view = await poll(check, wait.timing);
    if (view.failed) {
      rolledBack = view.rolledBack;
      failure = await failureDetails(ecs, wait, service, view.reason ?? 'ECS deployment failed');
    }
  } catch (err) {
    if (!(err instanceof PollTimeoutError)) throw err;
    const ours = view?.ours;
    const state = ours
      ? `${ours.rolloutState ?? ours.status}: ${ours.runningCount ?? 0}/${ours.desiredCount ?? 0} running, ${ours.pendingCount ?? 0} pending`
      : 'not started';
    const base = `timed out after ${wait.timeoutText} waiting for '${wait.waitUntil}': the deployment of ${shortTaskDefinition(wait.taskDefinitionArn)} was ${state}`;
    const previous = wait.previousTaskDefinitionArn;
    if (
      wait.rollbackOnTimeout &&
      previous &&
      previous !== wait.taskDefinitionArn &&
      !view?.deployed
    ) {
      await ecs.send(
        new UpdateServiceCommand({
          cluster: wait.cluster,
          service: wait.service,
          taskDefinition: previous,
        }),
      );
      rolledBack = true;
      failure = await failureDetails(
        ecs,
        wait,
        service,
        `${base}; rolled back: service updated to ${shortTaskDefinition(previous)}`,
      );
    } else if (wait.rollbackOnTimeout) {
      failure = `${base}; nothing to roll back to`;
    } else {
      failure = `${base}; left it running (rollback-on-timeout is false)`;
    }
  } finally {
    progress.close();
  }

  const ours = view?.ours;
  const phases: Phase[] = [];
  if (ours?.createdAt && completedAt) {
    phases.push(toPhase('ROLLOUT', ours.createdAt, completedAt));
    if (view?.complete) {
      const drained = latest(ours.updatedAt, service?.events?.[0]?.createdAt);
      if (drained && drained > completedAt) phases.push(toPhase('DRAIN', completedAt, drained));
    }
  }
  const outcome: WaitOutcome = {
    status: view?.status ?? 'UNKNOWN',
    reached: failure === undefined && view !== undefined && reached(view),
    rolledBack,
    phases,
    traffic: [],
    notes,
  };
  if (failure) outcome.failure = failure;
  const end = latest(...phases.map((p) => new Date(p.endedAt)), ours?.updatedAt);
  const duration = spanSeconds(ours?.createdAt, end);
  if (duration !== undefined) outcome.durationSeconds = duration;
  return outcome;
}

/**
 * Follows an ECS blue/green, linear or canary deployment through DescribeServiceDeployments,
 * reading the service (for its events) only every few polls.
 */
export async function waitForNative(
  ecs: ECSClient,
  progress: Progress,
  wait: EcsWait,
  serviceDeploymentArn: string,
): Promise<WaitOutcome> {
  const printer = new EventPrinter(progress, wait.knownEvents);
  const timeline = new StageTimeline();
  const traffic: TrafficPoint[] = [];
  const notes: string[] = [];
  let sd: ServiceDeployment | undefined;
  let view: NativeView | undefined;
  let service: Service | undefined;
  let polls = 0;
  let lastWeights = '';
  let announcedFailure = false;

  const reached = (v: NativeView) =>
    wait.waitUntil === 'ready' ? v.ready : wait.waitUntil === 'deployed' ? v.deployed : v.complete;

  const check = async (): Promise<PollStep<NativeView>> => {
    polls += 1;
    const out = await ecs.send(
      new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [serviceDeploymentArn] }),
    );
    sd = out.serviceDeployments?.[0];
    if (!sd) {
      const reason = out.failures?.[0]?.reason ?? 'MISSING';
      throw new ActionError(`service deployment ${serviceDeploymentArn} not found (${reason})`);
    }
    view = interpretNative(sd);
    if (polls % SERVICE_REFRESH_POLLS === 1 || view.terminal) {
      service = await describeService(ecs, wait.cluster, wait.service);
      printer.print(service);
    }
    const at = sd.updatedAt ?? sd.startedAt ?? new Date();
    if (
      view.stage &&
      timeline.enter(view.stage, timeline.current === undefined ? (sd.startedAt ?? at) : at)
    ) {
      progress.stage(`Service deployment: ${view.stage}`);
    }
    progress.report(
      'status',
      `service deployment ${view.status}${view.stage ? ` (${view.stage})` : ''}`,
    );
    const revision = (
      label: string,
      r:
        | { runningTaskCount?: number; requestedTaskCount?: number; pendingTaskCount?: number }
        | undefined,
      key: string,
    ) => {
      if (!r) return;
      const pending = r.pendingTaskCount ? `, ${r.pendingTaskCount} pending` : '';
      progress.report(
        key,
        `${label}: ${r.runningTaskCount ?? 0}/${r.requestedTaskCount ?? 0} running${pending}`,
      );
    };
    revision('new revision', sd.targetServiceRevision, 'revision:target');
    for (const [i, r] of (sd.sourceServiceRevisions ?? []).entries()) {
      revision('old revision', r, `revision:source:${i}`);
    }
    for (const hook of sd.lifecycleHookDetails ?? []) {
      progress.report(
        `hook:${hook.hookId ?? hook.targetArn}`,
        `hook ${hook.targetArn ?? hook.hookId}: ${hook.status}`,
      );
    }
    const weights = formatWeights(view.weights);
    if (weights && weights !== lastWeights) {
      lastWeights = weights;
      progress.report('traffic', `new revision traffic: ${weights}`);
      traffic.push({ at: at.toISOString(), weights: view.weights });
    }
    if (view.failed && !announcedFailure) {
      announcedFailure = true;
      progress.report('failure', view.reason ?? `service deployment ${view.status}`);
    }
    // A rollback is followed to its end, so the step reports where the service landed.
    if (view.terminal || (!view.failed && reached(view))) return { done: true, value: view };
    return { done: false };
  };

  let failure: string | undefined;
  let rolledBack = false;
  try {
    view = await poll(check, wait.timing);
    if (view.failed) {
      rolledBack = view.rolledBack;
      failure = await failureDetails(
        ecs,
        wait,
        service,
        view.reason ?? `service deployment ${view.status}`,
      );
    }
  } catch (err) {
    if (!(err instanceof PollTimeoutError)) throw err;
    const state = view ? `${view.status}${view.stage ? ` at ${view.stage}` : ''}` : 'not started';
    const base = `timed out after ${wait.timeoutText} waiting for '${wait.waitUntil}': service deployment ${serviceDeploymentArn} was ${state}`;
    if (view?.failed) {
      rolledBack = view.status.startsWith('ROLLBACK');
      failure = `${base}; ${view.reason ?? ''}`;
    } else if (wait.rollbackOnTimeout) {
      await ecs.send(
        new StopServiceDeploymentCommand({ serviceDeploymentArn, stopType: 'ROLLBACK' }),
      );
      rolledBack = true;
      failure = `${base}; stopped it with rollback`;
    } else {
      failure = `${base}; left it running (rollback-on-timeout is false)`;
    }
  } finally {
    progress.close();
  }

  if (sd?.finishedAt) timeline.finish(sd.finishedAt);
  else if (sd?.stoppedAt) timeline.finish(sd.stoppedAt);
  const outcome: WaitOutcome = {
    status: view?.status ?? 'UNKNOWN',
    reached: failure === undefined && view !== undefined && reached(view),
    rolledBack,
    phases: timeline.phases(),
    traffic,
    notes,
  };
  if (failure) outcome.failure = failure;
  const duration = spanSeconds(
    sd?.startedAt ?? sd?.createdAt,
    latest(sd?.finishedAt, sd?.stoppedAt, sd?.updatedAt),
  );
  if (duration !== undefined) outcome.durationSeconds = duration;
  return outcome;
}

/** Waits for a deployment someone else started (wait-for-active) to end. */
export async function waitForOtherEcs(
  ecs: ECSClient,
  progress: Progress,
  what: { cluster: string; service: string; serviceDeploymentArn?: string; rollingId?: string },
  timing: PollTiming,
): Promise<void> {
  progress.stage(
    `Waiting for the active deployment ${what.serviceDeploymentArn ?? what.rollingId} to end`,
  );
  try {
    await poll<true>(async () => {
      if (what.serviceDeploymentArn) {
        const out = await ecs.send(
          new DescribeServiceDeploymentsCommand({
            serviceDeploymentArns: [what.serviceDeploymentArn],
          }),
        );
        const status = out.serviceDeployments?.[0]?.status ?? 'SUCCESSFUL';
        progress.report('other', `service deployment ${status}`);
        return NATIVE_TERMINAL.has(status) ? { done: true, value: true } : { done: false };
      }
      const service = await describeService(ecs, what.cluster, what.service);
      const active = activeRollingDeployment(service);
      progress.report(
        'other',
        active ? `deployment ${active.id}: ${active.rolloutState}` : 'no deployment in progress',
      );
      return active ? { done: false } : { done: true, value: true };
    }, timing);
  } catch (err) {
    if (err instanceof PollTimeoutError) {
      throw new ActionError(
        'timed out waiting for the active deployment to end; nothing was deployed',
      );
    }
    throw err;
  } finally {
    progress.close();
  }
}
