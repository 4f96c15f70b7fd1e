import type { Task } from '@aws-sdk/client-ecs';
import { describe, expect, test } from 'vitest';
import {
  durationSeconds,
  reportedTask,
  verdict,
  viewOf,
} from '../../../src/actions/run-task/outcome.ts';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

/** A STOPPED task as DescribeTasks answers it, with the container `web`. */
function stopped(container: Record<string, unknown>, task: Partial<Task> = {}): Task {
  return {
    taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/abc',
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    createdAt: at(0),
    startedAt: at(40),
    stoppingAt: at(70),
    stoppedAt: at(100),
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    containers: [
      { name: 'sidecar', lastStatus: 'STOPPED', exitCode: 0 },
      { name: 'web', lastStatus: 'STOPPED', ...container },
    ],
    ...task,
  };
}

describe('how a stopped task is judged', () => {
  test.each<[string, Task, { ok: boolean; why?: string }]>([
    ['the container exited 0', stopped({ exitCode: 0 }), { ok: true }],
    [
      'the container exited 3',
      stopped({ exitCode: 3 }),
      { ok: false, why: "container 'web' exited with code 3: Essential container in task exited" },
    ],
    [
      'the container ran out of memory',
      stopped({ exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }),
      {
        ok: false,
        why: "container 'web' exited with code 137 (OutOfMemoryError: Container killed due to memory usage): Essential container in task exited",
      },
    ],
    [
      'the image could not be pulled',
      stopped(
        {
          reason:
            'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref web:missing: not found',
        },
        {
          startedAt: undefined,
          stopCode: 'TaskFailedToStart',
          stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
        },
      ),
      {
        ok: false,
        why: 'never started: CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref web:missing: not found',
      },
    ],
    [
      'the log group was missing',
      stopped(
        {},
        {
          startedAt: undefined,
          stopCode: 'TaskFailedToStart',
          stoppedReason: 'ResourceInitializationError: failed to validate logger args',
        },
      ),
      {
        ok: false,
        why: 'never started: ResourceInitializationError: failed to validate logger args',
      },
    ],
    [
      'someone stopped it before it started',
      stopped(
        {},
        { startedAt: undefined, stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' },
      ),
      { ok: false, why: 'never started: Task stopped by user' },
    ],
    [
      'someone stopped it while it ran (SIGTERM)',
      stopped({ exitCode: 143 }, { stopCode: 'UserInitiated', stoppedReason: 'Scaling down' }),
      { ok: false, why: "container 'web' exited with code 143: Scaling down" },
    ],
    [
      'another essential container failed and the task stopped before web exited',
      stopped({}, { stoppedReason: 'Essential container in task exited' }),
      {
        ok: false,
        why: "stopped before container 'web' exited: Essential container in task exited",
      },
    ],
  ])('%s', (_, task, expected) => {
    expect(verdict(viewOf(task, 'web'), 'web')).toEqual(expected);
  });

  test('the reported task is the first that failed, else the first', () => {
    const ok = viewOf(stopped({ exitCode: 0 }, { taskArn: 'arn:aws:ecs:r:1:task/prod/ok' }), 'web');
    const bad = viewOf(
      stopped({ exitCode: 2 }, { taskArn: 'arn:aws:ecs:r:1:task/prod/bad' }),
      'web',
    );
    expect(reportedTask([ok, bad], 'web')?.id).toBe('bad');
    expect(reportedTask([ok, ok], 'web')?.id).toBe('ok');
    expect(reportedTask([], 'web')).toBeUndefined();
  });

  test('duration is ECS’s first creation to last stop, or the time watched while one still runs', () => {
    const first = viewOf(stopped({ exitCode: 0 }), 'web');
    const second = viewOf(
      stopped({ exitCode: 0 }, { createdAt: at(5), stoppedAt: at(130) }),
      'web',
    );
    expect(durationSeconds([first, second], 1)).toBe(130);
    const running = viewOf({ ...stopped({}), lastStatus: 'RUNNING', stoppedAt: undefined }, 'web');
    expect(durationSeconds([first, running], 61_400)).toBe(61);
  });
});
