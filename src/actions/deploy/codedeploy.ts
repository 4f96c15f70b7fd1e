import {
  type CodeDeployClient,
  ContinueDeploymentCommand,
  CreateDeploymentCommand,
  type DeploymentGroupInfo,
  type DeploymentInfo,
  type ECSTarget,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  GetDeploymentTargetCommand,
  type LifecycleEvent,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { ActionError } from '../../lib/errors.ts';
import {
  type PollOptions,
  type PollStep,
  PollTimeoutError,
  poll,
  sleep as realSleep,
} from '../../lib/poll.ts';
import type { AppSpec } from './appspec.ts';
import { appSpecRevision } from './appspec.ts';
import type { GateResult } from './gate.ts';
import type { TestGate } from './inputs.ts';
import { latest, spanSeconds, toPhase } from './phases.ts';
import { formatWeights, type Progress } from './progress.ts';
import { planSleep, ServerTime, TimestampWatch, timestampsIn } from './server-time.ts';
import type { Phase, TrafficPoint, WaitOutcome, WaitUntil } from './types.ts';

/** ECS lifecycle events in the order CodeDeploy runs them. */
export const LIFECYCLE_EVENTS = [
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'AllowTestTraffic',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic',
] as const;

export const ACTIVE_STATUSES = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'] as const;
const TERMINAL = new Set(['Succeeded', 'Failed', 'Stopped']);
const DONE = new Set(['Succeeded', 'Skipped']);
/** Polls between two reads of the deployment while the target alone answers the question. */
const DEPLOYMENT_REFRESH_POLLS = 6;
/** Longest skip during a predicted wait, in poll intervals: a stop or failure is still seen. */
const QUIET_POLLS = 12;

export interface CodeDeployView {
  status: string;
  /** What the deployment is doing now: a lifecycle event, the ready wait, the termination wait. */
  stage: string;
  weights: Record<string, number>;
  /** Test traffic reaches the replacement task set; production is still on the original. */
  ready: boolean;
  /** Production traffic is 100 % on the replacement task set. */
  deployed: boolean;
  complete: boolean;
  /** The deployment is Ready and waits for ContinueDeployment. */
  awaitingContinue: boolean;
  terminal: boolean;
  failure?: string;
  rollbackDeploymentId?: string;
}

function eventsByName(target: ECSTarget | undefined): Map<string, LifecycleEvent> {
  const map = new Map<string, LifecycleEvent>();
  for (const event of target?.lifecycleEvents ?? []) {
    if (event.lifecycleEventName) map.set(event.lifecycleEventName, event);
  }
  return map;
}

function isDone(event: LifecycleEvent | undefined): boolean {
  return event?.status !== undefined && DONE.has(event.status);
}

function isStarted(event: LifecycleEvent | undefined): boolean {
  return event?.status !== undefined && event.status !== 'Pending' && event.status !== 'Unknown';
}

export function trafficWeights(target: ECSTarget | undefined): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const set of target?.taskSetsInfo ?? []) {
    const label = set.taskSetLabel ?? set.identifer ?? 'task set';
    weights[label] = Math.round((set.trafficWeight ?? 0) * 10) / 10;
  }
  return weights;
}

function describeDiagnostics(event: LifecycleEvent): string {
  const d = event.diagnostics;
  if (!d) return '';
  const what = [d.errorCode, d.message].filter(Boolean).join(': ');
  return what ? `: ${what}` : '';
}

export function failureMessage(
  deploymentId: string,
  deployment: DeploymentInfo | undefined,
  target: ECSTarget | undefined,
): string {
  const parts = [`CodeDeploy deployment ${deploymentId} ${deployment?.status ?? 'failed'}`];
  const info = deployment?.errorInformation;
  if (info?.code || info?.message) parts.push([info.code, info.message].filter(Boolean).join(': '));
  for (const event of target?.lifecycleEvents ?? []) {
    if (event.status === 'Failed') {
      parts.push(`lifecycle event ${event.lifecycleEventName} failed${describeDiagnostics(event)}`);
    }
  }
  const rollback = deployment?.rollbackInfo;
  if (rollback?.rollbackDeploymentId) {
    parts.push(`rolled back by deployment ${rollback.rollbackDeploymentId}`);
  } else if (rollback?.rollbackMessage) {
    parts.push(rollback.rollbackMessage);
  }
  return parts.join('; ');
}

/** Reads what a deployment and its ECS target say into the facts the action waits on. */
export function interpretCodeDeploy(
  deploymentId: string,
  deployment: DeploymentInfo | undefined,
  target: ECSTarget | undefined,
): CodeDeployView {
  const status = deployment?.status ?? 'Created';
  const events = eventsByName(target);
  const weights = trafficWeights(target);
  const succeeded = status === 'Succeeded';
  const awaitingContinue =
    status === 'Ready' || (target?.status === 'Ready' && !TERMINAL.has(status));
  const ready =
    succeeded ||
    awaitingContinue ||
    isDone(events.get('AfterAllowTestTraffic')) ||
    isStarted(events.get('BeforeAllowTraffic')) ||
    isStarted(events.get('AllowTraffic'));
  const greenWeight = weights.Green;
  const deployed = succeeded || isDone(events.get('AllowTraffic')) || greenWeight === 100;

  let stage: string;
  const running = LIFECYCLE_EVENTS.find((name) => events.get(name)?.status === 'InProgress');
  if (TERMINAL.has(status)) stage = status;
  else if (running) stage = running;
  else if (awaitingContinue) stage = 'Ready';
  else if (isDone(events.get('AfterAllowTraffic'))) stage = 'TerminationWait';
  else stage = status;

  const view: CodeDeployView = {
    status,
    stage,
    weights,
    ready,
    deployed,
    complete: succeeded,
    awaitingContinue,
    terminal: TERMINAL.has(status),
  };
  if (status === 'Failed' || status === 'Stopped') {
    view.failure = failureMessage(deploymentId, deployment, target);
  }
  const rollbackId = deployment?.rollbackInfo?.rollbackDeploymentId;
  if (rollbackId) view.rollbackDeploymentId = rollbackId;
  return view;
}

/**
 * Lifecycle events as phases, plus the waits between them that CodeDeploy does not list as
 * events but that take real time: the ready wait and the original task set's termination wait.
 */
export function codeDeployPhases(
  deployment: DeploymentInfo | undefined,
  target: ECSTarget | undefined,
): Phase[] {
  const phases: Array<{ phase: Phase; start: number }> = [];
  const events = eventsByName(target);
  for (const name of LIFECYCLE_EVENTS) {
    const event = events.get(name);
    if (event?.startTime && event.endTime && event.status !== 'Skipped') {
      phases.push({
        phase: toPhase(name, event.startTime, event.endTime),
        start: event.startTime.getTime(),
      });
    }
  }
  const gap = (name: string, from: Date | undefined, to: Date | undefined) => {
    if (from && to && to.getTime() - from.getTime() >= 1000) {
      phases.push({ phase: toPhase(name, from, to), start: from.getTime() });
    }
  };
  gap(
    'ReadyWait',
    events.get('AfterAllowTestTraffic')?.endTime,
    events.get('BeforeAllowTraffic')?.startTime,
  );
  if (deployment?.status === 'Succeeded') {
    gap('TerminationWait', events.get('AfterAllowTraffic')?.endTime, deployment.completeTime);
  }
  return phases.sort((a, b) => a.start - b.start).map((p) => p.phase);
}

const SHIFTING_CONFIG =
  /^CodeDeployDefault\.ECS(Canary|Linear)(\d+)Percent(?:Every)?(\d+)Minutes?$/;

/**
 * When a built-in canary or linear configuration has moved all production traffic, counted
 * from the start of AllowTraffic: the earliest that `deployed` can be true. Custom
 * configurations are not described by their name, so they get no prediction.
 */
export function trafficShiftEnd(
  configName: string | undefined,
  allowTrafficStart: Date,
): number | undefined {
  const match = configName ? SHIFTING_CONFIG.exec(configName) : null;
  if (configName === 'CodeDeployDefault.ECSAllAtOnce') return allowTrafficStart.getTime();
  if (!match) return undefined;
  const percent = Number(match[2]);
  const minutes = Number(match[3]);
  if (!(percent > 0)) return undefined;
  const steps = match[1] === 'Canary' ? 1 : Math.ceil(100 / percent) - 1;
  return allowTrafficStart.getTime() + steps * minutes * 60_000;
}

/**
 * The earliest AWS time at which the awaited state can be reached, when the deployment is in a
 * stretch whose length AWS tells in advance (a canary or linear shift, the termination wait).
 */
export function awaitedAt(
  waitUntil: WaitUntil,
  deployment: DeploymentInfo | undefined,
  target: ECSTarget | undefined,
  terminationWaitMinutes: number | undefined,
): number | undefined {
  if (!deployment || TERMINAL.has(deployment.status ?? '')) return undefined;
  const events = eventsByName(target);
  const allowTraffic = events.get('AllowTraffic');
  const shiftEnd =
    allowTraffic?.status === 'InProgress' && allowTraffic.startTime
      ? trafficShiftEnd(deployment.deploymentConfigName, allowTraffic.startTime)
      : undefined;
  if (waitUntil === 'deployed') return shiftEnd;
  if (waitUntil !== 'complete') return undefined;
  const termination =
    deployment.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess;
  if (termination?.action === 'KEEP_ALIVE') return undefined;
  const minutes = termination?.terminationWaitTimeInMinutes ?? terminationWaitMinutes;
  if (minutes === undefined) return undefined;
  const trafficOver = events.get('AfterAllowTraffic');
  const base = isDone(trafficOver) ? trafficOver?.endTime?.getTime() : shiftEnd;
  return base === undefined ? undefined : base + minutes * 60_000;
}

function errorName(err: unknown): string | undefined {
  return (err as { name?: string } | undefined)?.name;
}

export interface GroupCheck {
  application: string;
  deploymentGroup: string;
  cluster: string;
  service: string;
  needsReadyWait: boolean;
}

/**
 * Reads the deployment group before anything is registered, so a wrong name or a group that
 * cannot run the test-traffic gate fails the step while nothing has changed yet.
 */
export async function checkDeploymentGroup(
  client: CodeDeployClient,
  check: GroupCheck,
): Promise<DeploymentGroupInfo> {
  let group: DeploymentGroupInfo | undefined;
  try {
    const out = await client.send(
      new GetDeploymentGroupCommand({
        applicationName: check.application,
        deploymentGroupName: check.deploymentGroup,
      }),
    );
    group = out.deploymentGroupInfo;
  } catch (err) {
    const name = errorName(err);
    if (name === 'ApplicationDoesNotExistException') {
      throw new ActionError(
        `codedeploy-application: CodeDeploy application '${check.application}' does not exist (the default is AppECS-<cluster>-<service>)`,
      );
    }
    if (name === 'DeploymentGroupDoesNotExistException') {
      throw new ActionError(
        `codedeploy-deployment-group: deployment group '${check.deploymentGroup}' does not exist in application '${check.application}' (the default is DgpECS-<cluster>-<service>)`,
      );
    }
    throw err;
  }
  if (!group)
    throw new ActionError(`deployment group '${check.deploymentGroup}' returned no description`);
  if (group.computePlatform && group.computePlatform !== 'ECS') {
    throw new ActionError(
      `codedeploy-deployment-group: '${check.deploymentGroup}' deploys to ${group.computePlatform}, not ECS`,
    );
  }
  const services = group.ecsServices ?? [];
  if (
    services.length > 0 &&
    !services.some((s) => s.serviceName === check.service && s.clusterName === check.cluster)
  ) {
    const targets = services.map((s) => `${s.clusterName}/${s.serviceName}`).join(', ');
    throw new ActionError(
      `codedeploy-deployment-group: '${check.deploymentGroup}' deploys ${targets}, not ${check.cluster}/${check.service}`,
    );
  }
  if (check.needsReadyWait) {
    const ready = group.blueGreenDeploymentConfiguration?.deploymentReadyOption;
    if (ready?.actionOnTimeout !== 'STOP_DEPLOYMENT') {
      throw new ActionError(
        `test-url: the test-traffic gate needs deployment group '${check.deploymentGroup}' to wait before rerouting production traffic (blue/green deploymentReadyOption.actionOnTimeout STOP_DEPLOYMENT), but it reroutes at once; nothing was deployed`,
      );
    }
  }
  return group;
}

export interface ActiveDeployment {
  id: string;
  status: string;
}

export async function findActiveDeployment(
  client: CodeDeployClient,
  application: string,
  deploymentGroup: string,
): Promise<ActiveDeployment | undefined> {
  const out = await client.send(
    new ListDeploymentsCommand({
      applicationName: application,
      deploymentGroupName: deploymentGroup,
      includeOnlyStatuses: [...ACTIVE_STATUSES],
    }),
  );
  const id = out.deployments?.[0];
  if (!id) return undefined;
  const info = await client.send(new GetDeploymentCommand({ deploymentId: id }));
  const status = info.deploymentInfo?.status ?? 'InProgress';
  return TERMINAL.has(status) ? undefined : { id, status };
}

export interface CreateParams {
  application: string;
  deploymentGroup: string;
  deploymentConfig?: string;
  description: string;
  appSpec: AppSpec;
}

export async function createDeployment(
  client: CodeDeployClient,
  params: CreateParams,
): Promise<string> {
  try {
    const out = await client.send(
      new CreateDeploymentCommand({
        applicationName: params.application,
        deploymentGroupName: params.deploymentGroup,
        ...(params.deploymentConfig ? { deploymentConfigName: params.deploymentConfig } : {}),
        description: params.description,
        revision: {
          revisionType: 'AppSpecContent',
          appSpecContent: appSpecRevision(params.appSpec),
        },
      }),
    );
    if (!out.deploymentId) throw new ActionError('CreateDeployment returned no deployment id');
    return out.deploymentId;
  } catch (err) {
    if (errorName(err) === 'DeploymentLimitExceededException') {
      throw new ActionError(
        `deployment group '${params.deploymentGroup}' already has an active deployment (${(err as Error).message}); wait for it, or set wait-for-active: true`,
      );
    }
    if (errorName(err) === 'DeploymentConfigDoesNotExistException') {
      throw new ActionError(
        `codedeploy-deployment-config: deployment configuration '${params.deploymentConfig}' does not exist`,
      );
    }
    throw err;
  }
}

/** How a deploy waits: the shared poll settings, without the backoff tuning. */
export type PollTiming = Pick<PollOptions, 'intervalMs' | 'deadline' | 'now' | 'sleep' | 'random'>;

/** Waits for someone else's deployment to end (wait-for-active); its outcome is only reported. */
export async function waitForOtherDeployment(
  client: CodeDeployClient,
  active: ActiveDeployment,
  progress: Progress,
  timing: PollTiming,
): Promise<string> {
  progress.stage(`Waiting for active deployment ${active.id}`);
  try {
    return await poll<string>(async () => {
      const out = await client.send(new GetDeploymentCommand({ deploymentId: active.id }));
      const status = out.deploymentInfo?.status ?? 'InProgress';
      progress.report(`other:${active.id}`, `deployment ${active.id}: ${status}`);
      return TERMINAL.has(status) ? { done: true, value: status } : { done: false };
    }, timing);
  } catch (err) {
    if (err instanceof PollTimeoutError) {
      throw new ActionError(
        `timed out waiting for the active deployment ${active.id} to end; nothing was deployed`,
      );
    }
    throw err;
  } finally {
    progress.close();
  }
}

export interface CodeDeployWait {
  deploymentId: string;
  /** `<cluster>:<service>`, the ECS target id CodeDeploy uses. */
  targetId: string;
  waitUntil: WaitUntil;
  gate?: TestGate;
  rollbackOnTimeout: boolean;
  timeoutText: string;
  /** Hook function names by lifecycle event, for the log. */
  hooks: Partial<Record<string, string>>;
  timing: PollTiming;
  probe: (gate: TestGate) => Promise<GateResult>;
  /** Local times around the CreateDeployment call: they pin the deployment's createTime. */
  created?: { sentAt: number; answeredAt: number };
  /** The group's wait before the original task set is terminated, when GetDeployment omits it. */
  terminationWaitMinutes?: number;
}

function hasFailedEvent(target: ECSTarget | undefined): boolean {
  return (
    target?.status === 'Failed' ||
    (target?.lifecycleEvents ?? []).some((e) => e.status === 'Failed')
  );
}

function describeState(view: CodeDeployView): string {
  const weights = formatWeights(view.weights);
  const where = view.stage === view.status ? view.status : `${view.status} at ${view.stage}`;
  return weights ? `${where} (${weights})` : where;
}

/**
 * Follows a CodeDeploy deployment until the awaited point, a failure, or the timeout. Each poll
 * reads the ECS target (lifecycle events and traffic weights, which say most); the deployment
 * itself is read when the target's status changes, and otherwise every few polls. During a
 * stretch AWS announces the length of (termination wait, canary interval) polls are skipped and
 * one is placed just after the predicted end — fewer calls, and less lag than regular polls.
 */
export async function waitForCodeDeploy(
  client: CodeDeployClient,
  progress: Progress,
  wait: CodeDeployWait,
): Promise<WaitOutcome> {
  const { deploymentId, waitUntil, gate } = wait;
  let deployment: DeploymentInfo | undefined;
  let target: ECSTarget | undefined;
  let polls = 0;
  let deploymentReadAt = Number.NEGATIVE_INFINITY;
  let gateState: 'pending' | 'passed' | 'failed' = 'pending';
  let gateResult: GateResult | undefined;
  let warnedReady = false;
  let rolledBack = false;
  let lastWeights = '';
  const traffic: TrafficPoint[] = [];
  const notes: string[] = [];
  const now = wait.timing.now ?? Date.now;

  let serverTime: ServerTime | undefined;
  let deploymentWatch: TimestampWatch | undefined;
  let targetWatch: TimestampWatch | undefined;

  const readDeployment = async () => {
    const sentAt = now();
    const out = await client.send(new GetDeploymentCommand({ deploymentId }));
    deployment = out.deploymentInfo;
    deploymentReadAt = polls;
    const created = deployment?.createTime;
    if (!serverTime && created && wait.created) {
      serverTime = new ServerTime(created.getTime(), wait.created.sentAt, wait.created.answeredAt);
      deploymentWatch = new TimestampWatch(serverTime);
      targetWatch = new TimestampWatch(serverTime);
    }
    deploymentWatch?.observe(timestampsIn(deployment), sentAt, now());
  };
  const readTarget = async (): Promise<boolean> => {
    const sentAt = now();
    try {
      const out = await client.send(
        new GetDeploymentTargetCommand({ deploymentId, targetId: wait.targetId }),
      );
      target = out.deploymentTarget?.ecsTarget ?? target;
      targetWatch?.observe(timestampsIn(out.deploymentTarget?.ecsTarget), sentAt, now());
      return out.deploymentTarget?.ecsTarget !== undefined;
    } catch (err) {
      const name = errorName(err);
      // Right after CreateDeployment the target may not exist yet.
      if (
        name === 'DeploymentTargetDoesNotExistException' ||
        name === 'DeploymentNotStartedException'
      ) {
        return false;
      }
      throw err;
    }
  };

  const observe = async () => {
    polls += 1;
    const eventsOver = isDone(eventsByName(target).get('AfterAllowTraffic'));
    if (
      (waitUntil === 'complete' && eventsOver) ||
      (deployment && TERMINAL.has(deployment.status ?? ''))
    ) {
      await readDeployment();
      return;
    }
    const statusBefore = target?.status;
    const found = await readTarget();
    const stale = polls - deploymentReadAt >= DEPLOYMENT_REFRESH_POLLS;
    // The target's status follows the deployment's (Ready, Succeeded, Failed), so the
    // deployment is read again when that moves, not on every lifecycle event.
    if (
      !found ||
      !deployment ||
      target?.status !== statusBefore ||
      hasFailedEvent(target) ||
      stale
    ) {
      await readDeployment();
    }
  };

  const baseSleep = wait.timing.sleep ?? realSleep;
  const plannedSleep = async (ms: number) => {
    const at = awaitedAt(waitUntil, deployment, target, wait.terminationWaitMinutes);
    const window = at !== undefined ? serverTime?.window(at) : undefined;
    const plan = planSleep(now(), ms, window, wait.timing.intervalMs * QUIET_POLLS);
    await baseSleep(Math.max(0, Math.min(plan.delay, wait.timing.deadline - now())));
  };

  const report = (view: CodeDeployView) => {
    const events = eventsByName(target);
    for (const name of LIFECYCLE_EVENTS) {
      const event = events.get(name);
      if (!isStarted(event)) continue;
      const fn = wait.hooks[name];
      const label = fn ? `hook ${name} (${fn})` : name;
      const text = `${label}: ${event!.status}${event!.status === 'Failed' ? describeDiagnostics(event!) : ''}`;
      if (progress.changed(`event:${name}`, text)) {
        progress.stage(`Deployment ${deploymentId}: ${name}`);
        progress.report(`event:${name}`, text);
      }
    }
    progress.stage(`Deployment ${deploymentId}: ${view.stage}`);
    progress.report('status', `deployment ${view.status}`);
    for (const set of target?.taskSetsInfo ?? []) {
      const label = set.taskSetLabel ?? set.identifer ?? 'task set';
      const pending = set.pendingCount ? `, ${set.pendingCount} pending` : '';
      progress.report(
        `taskset:${label}`,
        `${label} task set: ${set.runningCount ?? 0}/${set.desiredCount ?? 0} running${pending}`,
      );
    }
    const weights = formatWeights(view.weights);
    if (weights && weights !== lastWeights) {
      lastWeights = weights;
      progress.report('traffic', `traffic: ${weights}`);
      traffic.push({
        at: (target?.lastUpdatedAt ?? new Date(now())).toISOString(),
        weights: view.weights,
      });
    }
  };

  const runGate = async (testGate: TestGate): Promise<PollStep<CodeDeployView> | undefined> => {
    if (!gateResult) {
      progress.stage(`Test traffic: ${testGate.url}`);
      gateResult = await wait.probe(testGate);
      progress.report('gate', `test traffic: ${gateResult.summary}`);
      notes.push(`Test traffic: ${gateResult.summary}`);
    }
    if (gateResult.passed) {
      await client.send(
        new ContinueDeploymentCommand({ deploymentId, deploymentWaitType: 'READY_WAIT' }),
      );
      gateState = 'passed';
      progress.report('continue', 'test traffic passed: production traffic shift continued');
      return undefined;
    }
    await client.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
    gateState = 'failed';
    rolledBack = true;
    await readDeployment();
    const view = interpretCodeDeploy(deploymentId, deployment, target);
    view.failure = `test traffic check failed: ${gateResult.summary}; stopped deployment ${deploymentId} with rollback`;
    return { done: true, value: view };
  };

  const reached = (view: CodeDeployView): boolean => {
    const gated = gate === undefined || gateState === 'passed';
    if (waitUntil === 'ready') return gate ? gateState === 'passed' : view.ready;
    if (waitUntil === 'deployed') return view.deployed && gated;
    return view.complete;
  };

  const check = async (): Promise<PollStep<CodeDeployView>> => {
    await observe();
    const view = interpretCodeDeploy(deploymentId, deployment, target);
    report(view);
    if (view.failure) return { done: true, value: view };
    if (gate && gateState === 'pending' && view.awaitingContinue) {
      const stop = await runGate(gate);
      if (stop) return stop;
    }
    if (reached(view)) return { done: true, value: view };
    if (view.terminal) return { done: true, value: view };
    if (view.awaitingContinue && !gate && waitUntil !== 'ready' && !warnedReady) {
      warnedReady = true;
      progress.warning(
        `deployment ${deploymentId} is Ready and waits for someone to reroute production traffic (the deployment group's ready wait); continue it in the console, or use test-url to let this action decide`,
      );
    }
    return { done: false };
  };

  let final: CodeDeployView;
  let failure: string | undefined;
  try {
    final = await poll(check, { ...wait.timing, sleep: plannedSleep });
    failure = final.failure;
  } catch (err) {
    if (!(err instanceof PollTimeoutError)) throw err;
    final = interpretCodeDeploy(deploymentId, deployment, target);
    const state = describeState(final);
    const base = `timed out after ${wait.timeoutText} waiting for '${waitUntil}': deployment ${deploymentId} was ${state}`;
    if (wait.rollbackOnTimeout) {
      try {
        const stop = await client.send(
          new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }),
        );
        rolledBack = true;
        failure = `${base}; stopped it with rollback (${stop.status ?? 'Pending'})`;
      } catch (stopErr) {
        if (errorName(stopErr) !== 'DeploymentAlreadyCompletedException') throw stopErr;
        failure = `${base}; it completed before it could be stopped`;
      }
    } else {
      failure = `${base}; left it running (rollback-on-timeout is false)`;
    }
  } finally {
    progress.close();
  }
  if (final.rollbackDeploymentId) rolledBack = true;
  if (gateResult && !gateResult.passed) rolledBack = true;

  const outcome: WaitOutcome = {
    status: final.status,
    reached: failure === undefined && reached(final),
    rolledBack,
    phases: codeDeployPhases(deployment, target),
    traffic,
    notes,
  };
  if (!failure && !outcome.reached) {
    failure = `deployment ${deploymentId} ended ${final.status} before the action saw '${waitUntil}' pass its checks`;
  }
  if (failure) outcome.failure = failure;
  if (final.rollbackDeploymentId)
    notes.push(`Rolled back by deployment ${final.rollbackDeploymentId}`);
  const lastEvent = latest(
    deployment?.completeTime,
    target?.lastUpdatedAt,
    ...(target?.lifecycleEvents ?? []).map((e) => e.endTime),
  );
  const duration = spanSeconds(deployment?.createTime, lastEvent);
  if (duration !== undefined) outcome.durationSeconds = duration;
  return outcome;
}
