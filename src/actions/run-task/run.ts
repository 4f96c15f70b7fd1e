// The run-task step: resolve the task definition, start the task(s) as the service would run
// them, follow them to the end while their log streams into the step log, and end every way a
// run can end (exit, failure to start, timeout, cancellation, lost contact) with the tasks
// either finished, stopped, or named as left running.
import { setTimeout as delay } from 'node:timers/promises';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  RunTaskCommand,
  type RunTaskRequest,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { ActionError, describeError, errorName, messageOf } from '../../lib/errors.ts';
import { formatDuration } from '../../lib/inputs.ts';
import type { Log } from '../../lib/log.ts';
import { isThrottling, PollTimeoutError, poll } from '../../lib/poll.ts';
import { shortTaskDefinition } from '../../lib/task-definition.ts';
import type { RunTaskInputs } from './inputs.ts';
import { LogStream, LogTail } from './logs.ts';
import { INPUT } from './names.ts';
import {
  durationSeconds,
  hasStarted,
  isStopped,
  reportedTask,
  type TaskView,
  verdict,
  viewOf,
} from './outcome.ts';
import {
  containerOverride,
  type LogTarget,
  logConsoleUrl,
  logStreamName,
  logTarget,
  pickContainer,
  runTaskRequest,
} from './plan.ts';
import { resolveTaskDefinition } from './task-definition.ts';
import { isTransient } from './transient.ts';

export type RunStatus = 'succeeded' | 'failed' | 'timed-out' | 'cancelled';

export interface TaskReport extends TaskView {
  logUrl?: string;
  /** What this step did about a task it did not see finish. */
  action?: string;
}

export interface RunTaskResult {
  status: RunStatus;
  taskDefinitionArn: string;
  /** The revision was registered by this step. */
  registered: boolean;
  cluster: string;
  container: string;
  command?: string[];
  tasks: TaskReport[];
  /** Of the reported task: the first that failed, else the first. */
  exitCode?: number;
  stoppedReason?: string;
  durationSeconds: number;
  logUrl?: string;
  /** The last lines of output, at most 50. */
  lastLines: string[];
  /** One line naming the operation and the task(s): the step's annotation. */
  message: string;
  /** The message without the task's own output (which it may end with): safe for Markdown. */
  outcome: string;
  /** Every task ended, was stopped or was knowingly left; false when a StopTask failed. */
  settled: boolean;
  notes: string[];
}

type Sender<C extends { send: unknown }> = Pick<C, 'send'>;

export interface RunDeps {
  ecs: Sender<ECSClient>;
  /** A CloudWatch Logs client for the region the container logs to. */
  logs(region: string): Sender<CloudWatchLogsClient>;
  log: Log;
  /** Writes task output, which is untrusted, so that none of it reads as a workflow command. */
  printUntrusted(lines: string[]): void;
  /** The region the action runs in (awslogs-region may name another for the logs). */
  region: string;
  /** Aborted when the run is cancelled (SIGINT/SIGTERM); its reason names the signal. */
  signal: AbortSignal;
  /** Names this step's tasks (RunTask startedBy), so the post step can find them. */
  startedBy: string;
  /** RunTask's idempotency token: a retried RunTask does not start the tasks twice. */
  clientToken: string;
  /** Called as soon as RunTask answers, with the ARNs of the tasks it started. */
  onStarted(taskArns: string[]): void;
  now?: () => number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const REFUSED = new Set(['ClientException', 'InvalidParameterException', 'AccessDeniedException']);
/** The runner sends SIGTERM 7.5 s after SIGINT: stopping must fit before it. */
const CANCEL_STOP_BUDGET_MS = 5_000;
const STOP_BUDGET_MS = 20_000;
const MIN_CALL_BUDGET_MS = 1_000;
const FAILURE_LINES = 3;
const STOP_FAILED = 'StopTask failed';
const LEFT_RUNNING = 'left running (on-cancel: leave)';

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // Cancelled: the caller looks at the signal.
  }
}

function clusterMissing(err: unknown, cluster: string): never {
  if (errorName(err) === 'ClusterNotFoundException') {
    throw new ActionError(`${INPUT.cluster}: no cluster '${cluster}' (is it in this region?)`);
  }
  throw err;
}

async function readService(ecs: Sender<ECSClient>, cluster: string, name: string) {
  const out = await ecs
    .send(new DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] }))
    .catch((err: unknown) => clusterMissing(err, cluster));
  const service = out.services?.[0];
  if (service === undefined || service.status === 'INACTIVE') {
    throw new ActionError(`${INPUT.service}: no service '${name}' in cluster '${cluster}'`);
  }
  return service;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function quoteLines(lines: string[]): string {
  return lines.map((l) => JSON.stringify(l.length > 200 ? `${l.slice(0, 200)}…` : l)).join(' | ');
}

/** The tasks of one run while the step follows them. */
class Watch {
  readonly views: TaskView[];
  readonly tail = new LogTail(50);
  readonly #streams = new Map<string, LogStream>();
  readonly #drained = new Set<string>();
  readonly #deps: RunDeps;
  readonly #cluster: string;
  readonly #container: string;
  readonly #target: LogTarget | undefined;
  readonly #prefix: boolean;

  constructor(
    tasks: Task[],
    deps: RunDeps,
    cluster: string,
    container: string,
    target: LogTarget | undefined,
  ) {
    this.#deps = deps;
    this.#cluster = cluster;
    this.#container = container;
    this.#target = target;
    this.#prefix = tasks.length > 1;
    this.views = tasks.map((t) => viewOf(t, container));
  }

  get arns(): string[] {
    return this.views.map((v) => v.arn);
  }

  logUrl(view: TaskView): string | undefined {
    const target = this.#target;
    if (target === undefined || view.arn === '') return undefined;
    return logConsoleUrl(
      target.region,
      target.group,
      logStreamName(target, this.#container, view.arn),
    );
  }

  /** Takes in DescribeTasks/StopTask answers; says what changed. */
  update(tasks: Task[]): void {
    for (const task of tasks) {
      const index = this.views.findIndex((v) => v.arn === task.taskArn);
      if (index < 0) continue;
      const before = this.views[index]!;
      const after = viewOf(task, this.#container);
      this.views[index] = after;
      if (after.lastStatus !== before.lastStatus) {
        this.#deps.log.info(`Task ${after.id}: ${after.lastStatus}`);
      }
      if (isStopped(after) && !isStopped(before)) {
        const result = verdict(after, this.#container);
        this.#deps.log.info(
          `Task ${after.id} stopped: ${result.ok ? `container '${this.#container}' exited 0` : result.why}`,
        );
      }
    }
  }

  async describe(abortSignal: AbortSignal): Promise<void> {
    const out = await this.#deps.ecs.send(
      new DescribeTasksCommand({ cluster: this.#cluster, tasks: this.arns }),
      { abortSignal },
    );
    this.update(out.tasks ?? []);
  }

  /** Reads what each started task has printed since the last read, and prints it. */
  async readLogs(abortSignal: AbortSignal): Promise<void> {
    const target = this.#target;
    if (target === undefined) return;
    for (const view of this.views) {
      if (!hasStarted(view) || this.#drained.has(view.arn)) continue;
      let stream = this.#streams.get(view.arn);
      if (stream === undefined) {
        stream = new LogStream(
          this.#deps.logs(target.region),
          target.group,
          logStreamName(target, this.#container, view.arn),
        );
        this.#streams.set(view.arn, stream);
      }
      // Read once more after the task stopped: that read reaches the end of its output.
      const final = isStopped(view);
      const lines = await stream.read(abortSignal);
      const shown = this.#prefix ? lines.map((l) => `[${view.id.slice(0, 8)}] ${l}`) : lines;
      this.tail.push(shown);
      this.#deps.printUntrusted(shown);
      if (final) this.#drained.add(view.arn);
    }
  }

  /** Every task stopped and its output read to the end. */
  finished(): boolean {
    return this.views.every(
      (v) =>
        isStopped(v) && (this.#target === undefined || !hasStarted(v) || this.#drained.has(v.arn)),
    );
  }

  logProblems(): string[] {
    return [...this.#streams.values()].flatMap((s) =>
      s.problem === undefined ? [] : [`could not read log stream ${s.stream}: ${s.problem}`],
    );
  }

  /** StopTask for every task that is not already stopping; what happened to each, by ARN. */
  async stop(reason: string, budgetMs: number): Promise<Map<string, string>> {
    const done = new Map<string, string>();
    const abortSignal = AbortSignal.timeout(budgetMs);
    await Promise.all(
      this.views.map(async (view) => {
        if (isStopped(view) || view.desiredStatus === 'STOPPED') return;
        try {
          const out = await this.#deps.ecs.send(
            new StopTaskCommand({ cluster: this.#cluster, task: view.arn, reason }),
            { abortSignal },
          );
          if (out.task) this.update([out.task]);
          done.set(view.arn, 'stopped with StopTask');
          this.#deps.log.info(`Stopped task ${view.id} (StopTask)`);
        } catch (err) {
          done.set(view.arn, `${STOP_FAILED} (${describeError(err)}): it may still be running`);
        }
      }),
    );
    return done;
  }
}

type Ending =
  | { kind: 'stopped' }
  | { kind: 'timed-out' }
  | { kind: 'cancelled' }
  | { kind: 'lost'; error: unknown };

/** Everything decided before RunTask. */
interface Prepared {
  label: string;
  container: string;
  target: LogTarget | undefined;
  request: RunTaskRequest;
  base: Pick<
    RunTaskResult,
    'taskDefinitionArn' | 'registered' | 'cluster' | 'container' | 'command' | 'notes'
  >;
}

/** A run that has started: what `conclude` needs to say how it ended. */
interface Started extends Prepared {
  watch: Watch;
  startedAt: number;
}

export async function run(inputs: RunTaskInputs, deps: RunDeps): Promise<RunTaskResult> {
  const now = deps.now ?? Date.now;
  const prepared = await prepare(inputs, deps);
  if (deps.signal.aborted) {
    const message = `run-task ${prepared.label}: cancelled (${String(deps.signal.reason)}) before any task started`;
    return {
      ...prepared.base,
      status: 'cancelled',
      tasks: [],
      durationSeconds: 0,
      lastLines: [],
      message,
      outcome: message,
      settled: true,
    };
  }
  const startedAt = now();
  const answer = await deps.ecs.send(new RunTaskCommand(prepared.request)).catch((err: unknown) => {
    if (REFUSED.has(errorName(err) ?? '')) {
      throw new ActionError(`run-task ${prepared.label}: RunTask refused: ${messageOf(err)}`);
    }
    return clusterMissing(err, inputs.cluster);
  });
  const tasks = answer.tasks ?? [];
  deps.onStarted(tasks.flatMap((t) => (t.taskArn ? [t.taskArn] : [])));
  const watch = new Watch(tasks, deps, inputs.cluster, prepared.container, prepared.target);
  const started: Started = { ...prepared, watch, startedAt };
  if (tasks.length > 0) {
    deps.log.info(`Started ${which(watch)} of ${prepared.label} on cluster ${inputs.cluster}`);
    if (prepared.target !== undefined) {
      deps.log.info(
        `Streaming the log of container '${prepared.container}' from ${prepared.target.group}`,
      );
    }
  }
  const failures = answer.failures ?? [];
  if (failures.length > 0 || tasks.length === 0) {
    const reasons = [...new Set(failures.map((f) => f.reason ?? 'no reason given'))].join('; ');
    const actions = await watch.stop(
      'Another task of the same run failed to start (fargate-delivery run-task)',
      STOP_BUDGET_MS,
    );
    const stopped =
      actions.size > 0 ? `; stopped the ${plural(actions.size, 'task')} that started` : '';
    return finish(
      started,
      deps,
      'failed',
      `run-task ${prepared.label}: RunTask could not start ${failures.length} of ${inputs.count} task(s): ${reasons}${stopped}`,
      actions,
    );
  }
  const ending = await follow(watch, inputs, deps, startedAt);
  prepared.base.notes.push(...watch.logProblems());
  return conclude(ending, started, inputs, deps);
}

/** The revision, the container, the service to copy and where the log is: RunTask's request. */
async function prepare(inputs: RunTaskInputs, deps: RunDeps): Promise<Prepared> {
  const { cluster } = inputs;
  const td = await resolveTaskDefinition(deps.ecs, inputs.taskDefinition, deps.log);
  const label = shortTaskDefinition(td.arn);
  const container = pickContainer(td.containers, inputs.containerName, label).name ?? '';
  const service =
    inputs.service === undefined ? undefined : await readService(deps.ecs, cluster, inputs.service);
  if (
    service !== undefined &&
    inputs.network.subnets === undefined &&
    (service.networkConfiguration?.awsvpcConfiguration?.subnets ?? []).length === 0
  ) {
    throw new ActionError(
      `${INPUT.service}: '${inputs.service}' has no awsvpc network configuration to copy: give ${INPUT.subnets}`,
    );
  }
  const notes: string[] = [];
  let target: LogTarget | undefined;
  if (inputs.logs) {
    const found = logTarget(td.containers.find((c) => c.name === container) ?? {}, deps.region);
    if ('problem' in found) notes.push(`${found.problem}: its output is not streamed here`);
    else target = found;
  }
  for (const note of notes) deps.log.info(note);
  const request = runTaskRequest({
    cluster,
    taskDefinitionArn: td.arn,
    count: inputs.count,
    network: inputs.network,
    ...(service !== undefined ? { service } : {}),
    ...withOverride(containerOverride(container, inputs.command, inputs.environment)),
    startedBy: deps.startedBy,
    clientToken: deps.clientToken,
  });
  return {
    label,
    container,
    target,
    request,
    base: {
      taskDefinitionArn: td.arn,
      registered: td.registered,
      cluster,
      container,
      ...(inputs.command !== undefined ? { command: inputs.command } : {}),
      notes,
    },
  };
}

/**
 * Polls the tasks (and reads their logs) until all stopped, the deadline passes or the run is
 * cancelled. Every call carries the deadline, so a call that hangs cannot hold the step past it;
 * 5xx answers and timeouts are waited out, throttling slows the polls.
 */
async function follow(
  watch: Watch,
  inputs: RunTaskInputs,
  deps: RunDeps,
  startedAt: number,
): Promise<Ending> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? pause;
  const deadline = startedAt + inputs.timeoutMs;
  const callSignal = () =>
    AbortSignal.any([
      deps.signal,
      AbortSignal.timeout(Math.ceil(Math.max(MIN_CALL_BUDGET_MS, deadline - now()))),
    ]);
  try {
    return await poll<Ending>(
      async () => {
        if (deps.signal.aborted) return { done: true, value: { kind: 'cancelled' } };
        const signal = callSignal();
        try {
          await watch.describe(signal);
        } catch (err) {
          if (deps.signal.aborted) return { done: true, value: { kind: 'cancelled' } };
          if (isThrottling(err)) throw err;
          if (!isTransient(err) && errorName(err) !== 'AbortError') throw err;
          deps.log.info(`${describeError(err)}; trying again`);
          return { done: false };
        }
        await watch.readLogs(signal);
        return watch.finished() ? { done: true, value: { kind: 'stopped' } } : { done: false };
      },
      { intervalMs: inputs.pollIntervalMs, deadline, now, sleep: (ms) => sleep(ms, deps.signal) },
    );
  } catch (err) {
    return err instanceof PollTimeoutError ? { kind: 'timed-out' } : { kind: 'lost', error: err };
  }
}

function which(watch: Watch): string {
  const ids = watch.views.map((v) => v.id).join(', ');
  return watch.views.length === 1 ? `task ${ids}` : `${watch.views.length} tasks ${ids}`;
}

function leaveRunning(watch: Watch): Map<string, string> {
  return new Map(
    watch.views.filter((v) => !isStopped(v)).map((v) => [v.arn, LEFT_RUNNING] as const),
  );
}

/** How the run ended, and what was done about tasks still running (stopped, or left). */
async function conclude(
  ending: Ending,
  run: Started,
  inputs: RunTaskInputs,
  deps: RunDeps,
): Promise<RunTaskResult> {
  const { watch, label, container } = run;
  const now = deps.now ?? Date.now;
  const was = watch.views.map((v) => v.lastStatus).join(', ');
  switch (ending.kind) {
    case 'stopped': {
      const failing = watch.views.filter((v) => !verdict(v, container).ok);
      if (failing.length === 0) {
        const took = formatDuration(durationSeconds(watch.views, now() - run.startedAt) * 1000);
        return finish(
          run,
          deps,
          'succeeded',
          `run-task ${label}: ${which(watch)} exited 0 (container '${container}') in ${took}`,
        );
      }
      const first = failing[0]!;
      const why = (verdict(first, container) as { why: string }).why;
      const lines = watch.tail.lines.slice(-FAILURE_LINES);
      const others =
        failing.length > 1 ? ` (${failing.length} of ${watch.views.length} tasks failed)` : '';
      return finish(
        run,
        deps,
        'failed',
        `run-task ${label}: task ${first.id} ${why}${others}`,
        new Map(),
        lines.length > 0 ? `; last log lines: ${quoteLines(lines)}` : '',
      );
    }
    case 'timed-out': {
      const limit = formatDuration(inputs.timeoutMs);
      const actions = await watch.stop(
        `Timed out after ${limit} (fargate-delivery run-task)`,
        STOP_BUDGET_MS,
      );
      return finish(
        run,
        deps,
        'timed-out',
        `run-task ${label}: timed out after ${limit} with ${which(watch)} ${was}; ${summarize(actions)}`,
        actions,
      );
    }
    case 'cancelled': {
      const actions =
        inputs.onCancel === 'leave'
          ? leaveRunning(watch)
          : await watch.stop(
              'The workflow run was cancelled (fargate-delivery run-task)',
              CANCEL_STOP_BUDGET_MS,
            );
      return finish(
        run,
        deps,
        'cancelled',
        `run-task ${label}: cancelled (${String(deps.signal.reason)}) with ${which(watch)} ${was}; ${summarize(actions)}`,
        actions,
      );
    }
    case 'lost': {
      const actions =
        inputs.onCancel === 'leave'
          ? leaveRunning(watch)
          : await watch.stop(
              'The step could no longer follow the task (fargate-delivery run-task)',
              STOP_BUDGET_MS,
            );
      return finish(
        run,
        deps,
        'failed',
        `run-task ${label}: lost track of ${which(watch)} (${was}): ${describeError(ending.error)}; ${summarize(actions)}`,
        actions,
      );
    }
  }
}

/** The result: the reported task's exit code and reason, each task's state, the last lines. */
function finish(
  run: Started,
  deps: RunDeps,
  status: RunStatus,
  message: string,
  actions: Map<string, string> = new Map(),
  output = '',
): RunTaskResult {
  const { watch } = run;
  const now = deps.now ?? Date.now;
  const reported = reportedTask(watch.views, run.container);
  const reports: TaskReport[] = watch.views.map((v) => {
    const url = watch.logUrl(v);
    const action = actions.get(v.arn);
    return { ...v, ...(url ? { logUrl: url } : {}), ...(action ? { action } : {}) };
  });
  const result: RunTaskResult = {
    ...run.base,
    status,
    tasks: reports,
    durationSeconds: durationSeconds(watch.views, now() - run.startedAt),
    lastLines: watch.tail.lines,
    message: `${message}${output}`,
    outcome: message,
    settled: ![...actions.values()].some((a) => a.startsWith(STOP_FAILED)),
  };
  const report = reports.find((r) => r.arn === reported?.arn);
  if (report?.exitCode !== undefined) result.exitCode = report.exitCode;
  if (report?.stoppedReason !== undefined) result.stoppedReason = report.stoppedReason;
  if (report?.logUrl !== undefined) result.logUrl = report.logUrl;
  return result;
}

function withOverride(override: ReturnType<typeof containerOverride>) {
  return override === undefined ? {} : { override };
}

function summarize(actions: Map<string, string>): string {
  const kinds = [...new Set(actions.values())];
  if (kinds.length === 0) return 'nothing left running';
  return kinds.join('; ');
}
