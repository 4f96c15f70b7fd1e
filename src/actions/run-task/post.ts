// The post step's safety net: when the main step was killed before it could deal with its tasks
// (finish, stop or knowingly leave them), whatever of them still runs is stopped (on-cancel:
// rollback) or named as left running (on-cancel: leave).
import {
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { describeError } from '../../lib/errors.ts';
import type { Log } from '../../lib/log.ts';
import type { OnCancel } from './names.ts';
import { taskId } from './plan.ts';

/** What the main step saves before it starts anything. */
export interface SavedRun {
  cluster: string;
  region: string;
  /** The RunTask startedBy of this step's tasks: finds them even if RunTask's answer was lost. */
  startedBy: string;
  onCancel: OnCancel;
}

export interface CleanUp {
  /** One line for the annotation, when something was left to deal with. */
  message?: string;
  stopped: string[];
  left: string[];
  failed: string[];
}

export function parseSavedRun(raw: string): SavedRun | undefined {
  if (raw === '') return undefined;
  try {
    const value = JSON.parse(raw) as Partial<SavedRun>;
    if (typeof value.cluster !== 'string' || typeof value.startedBy !== 'string') return undefined;
    return {
      cluster: value.cluster,
      region: String(value.region ?? ''),
      startedBy: value.startedBy,
      onCancel: value.onCancel === 'leave' ? 'leave' : 'rollback',
    };
  } catch {
    return undefined;
  }
}

export async function cleanUp(
  saved: SavedRun,
  knownArns: string[],
  deps: { ecs: Pick<ECSClient, 'send'>; log: Log },
): Promise<CleanUp> {
  const { ecs, log } = deps;
  const { cluster } = saved;
  const listed = await ecs.send(
    new ListTasksCommand({ cluster, startedBy: saved.startedBy, desiredStatus: 'RUNNING' }),
  );
  const arns = [...new Set([...knownArns, ...(listed.taskArns ?? [])])];
  const result: CleanUp = { stopped: [], left: [], failed: [] };
  if (arns.length === 0) return result;
  const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }));
  const running = (described.tasks ?? []).filter(
    (t) => t.lastStatus !== 'STOPPED' && t.desiredStatus !== 'STOPPED',
  );
  if (running.length === 0) {
    log.info('run-task post: every task of this step has stopped');
    return result;
  }
  const ids = running.map((t) => taskId(t.taskArn ?? '')).join(', ');
  if (saved.onCancel === 'leave') {
    result.left = running.map((t) => t.taskArn ?? '');
    result.message = `run-task post: the step ended without dealing with task ${ids} on ${cluster}: left it running (on-cancel: leave)`;
    return result;
  }
  for (const task of running) {
    try {
      await ecs.send(
        new StopTaskCommand({
          cluster,
          task: task.taskArn,
          reason: 'The run-task step ended without stopping it (fargate-delivery post step)',
        }),
      );
      result.stopped.push(task.taskArn ?? '');
    } catch (err) {
      result.failed.push(`${taskId(task.taskArn ?? '')}: ${describeError(err)}`);
    }
  }
  const stopped = result.stopped.map(taskId).join(', ');
  result.message = `run-task post: the step ended without stopping task ${ids} on ${cluster}: ${
    stopped ? `stopped ${stopped} with StopTask` : ''
  }${result.failed.length > 0 ? `${stopped ? '; ' : ''}could not stop ${result.failed.join('; ')}` : ''}`;
  return result;
}
