// What a task's DescribeTasks answer means for the step: is it still going, and if it stopped,
// did the container the step is about exit 0. Pure, so every way a task ends is a table row.
import type { Task } from '@aws-sdk/client-ecs';
import { taskId } from './plan.ts';

export interface TaskView {
  arn: string;
  id: string;
  lastStatus: string;
  /** STOPPED once ECS (or anyone) has asked the task to stop. */
  desiredStatus?: string;
  /** Of the container the step is about. */
  exitCode?: number;
  /** The container's own reason (CannotPullContainerError details, OutOfMemoryError, …). */
  containerReason?: string;
  stopCode?: string;
  stoppedReason?: string;
  createdAt?: Date;
  startedAt?: Date;
  stoppedAt?: Date;
}

export function viewOf(task: Task, container: string): TaskView {
  const arn = task.taskArn ?? '';
  const c = task.containers?.find((x) => x.name === container);
  const view: TaskView = { arn, id: taskId(arn), lastStatus: task.lastStatus ?? 'UNKNOWN' };
  if (task.desiredStatus !== undefined) view.desiredStatus = task.desiredStatus;
  if (c?.exitCode !== undefined) view.exitCode = c.exitCode;
  if (c?.reason) view.containerReason = c.reason;
  if (task.stopCode !== undefined) view.stopCode = task.stopCode;
  if (task.stoppedReason) view.stoppedReason = task.stoppedReason;
  if (task.createdAt) view.createdAt = task.createdAt;
  if (task.startedAt) view.startedAt = task.startedAt;
  if (task.stoppedAt) view.stoppedAt = task.stoppedAt;
  return view;
}

export const isStopped = (view: TaskView) => view.lastStatus === 'STOPPED';

/** Whether the container has started, so that its log stream can exist. */
export const hasStarted = (view: TaskView) => view.startedAt !== undefined;

export type Verdict = { ok: true } | { ok: false; why: string };

/** The verdict on a stopped task: success only when the container exited 0. */
export function verdict(view: TaskView, container: string): Verdict {
  const reason = view.stoppedReason ?? 'no reason given';
  if (view.stopCode === 'TaskFailedToStart' || (!hasStarted(view) && view.exitCode === undefined)) {
    return { ok: false, why: `never started: ${view.containerReason ?? reason}` };
  }
  if (view.exitCode === 0) return { ok: true };
  if (view.exitCode !== undefined) {
    return {
      ok: false,
      why: `container '${container}' exited with code ${view.exitCode}${view.containerReason ? ` (${view.containerReason})` : ''}: ${reason}`,
    };
  }
  return { ok: false, why: `stopped before container '${container}' exited: ${reason}` };
}

/** The task whose exit code and reason the outputs report: the first that failed, else the first. */
export function reportedTask(views: TaskView[], container: string): TaskView | undefined {
  return views.find((v) => isStopped(v) && !verdict(v, container).ok) ?? views[0];
}

/**
 * From the first task's creation to the last one's stop, in AWS's own timestamps; while a task
 * has not stopped (timeout, cancellation), the time this step has watched, on its own clock.
 */
export function durationSeconds(views: TaskView[], watchedMs: number): number {
  const created = views.map((v) => v.createdAt?.getTime());
  const stopped = views.map((v) => v.stoppedAt?.getTime());
  const known = (list: Array<number | undefined>): list is number[] =>
    list.length > 0 && list.every((t) => t !== undefined);
  if (known(created) && known(stopped)) {
    return Math.max(0, Math.round((Math.max(...stopped) - Math.min(...created)) / 1000));
  }
  return Math.max(0, Math.round(watchedMs / 1000));
}
