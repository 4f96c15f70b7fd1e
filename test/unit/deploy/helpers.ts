import type { DeploymentInfo, ECSTarget, LifecycleEvent } from '@aws-sdk/client-codedeploy';
import type { Logger } from '../../../src/actions/deploy/types.ts';

/** A clock that only moves when the code under test sleeps. */
export function fakeTime(start = 1_700_000_000_000) {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
    random: () => 0,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

export function recordingLog() {
  const lines: string[] = [];
  const log: Logger = {
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    startGroup: (t) => lines.push(`::group::${t}`),
    endGroup: () => lines.push('::endgroup::'),
  };
  return { lines, log, text: () => lines.join('\n') };
}

const T0 = Date.parse('2025-01-01T10:00:00Z');
export const at = (seconds: number) => new Date(T0 + seconds * 1000);

export type EventStatus = 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped';

const EVENT_NAMES = [
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'AllowTestTraffic',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic',
] as const;

/**
 * An ECS target in the shape GetDeploymentTarget answers: events given by status (the rest
 * Pending), each event taking 10 s after the previous one, and the two task sets' weights.
 */
export function ecsTarget(
  events: Partial<Record<(typeof EVENT_NAMES)[number], EventStatus>>,
  green = 0,
  extra: Partial<ECSTarget> = {},
): ECSTarget {
  const lifecycleEvents: LifecycleEvent[] = EVENT_NAMES.map((name, i) => {
    const status = events[name] ?? 'Pending';
    const event: LifecycleEvent = { lifecycleEventName: name, status };
    if (status !== 'Pending' && status !== 'Skipped') event.startTime = at(10 + i * 10);
    if (status === 'Succeeded' || status === 'Failed') event.endTime = at(20 + i * 10);
    return event;
  });
  const started = lifecycleEvents.filter((e) => e.startTime);
  return {
    deploymentId: 'd-ABCDEFGHI',
    targetId: 'prod:web',
    status: 'InProgress',
    lastUpdatedAt: at(10 + started.length * 10),
    lifecycleEvents,
    taskSetsInfo: [
      {
        identifer: 'ecs-svc/1',
        taskSetLabel: 'Blue',
        trafficWeight: 100 - green,
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
        status: 'PRIMARY',
      },
      {
        identifer: 'ecs-svc/2',
        taskSetLabel: 'Green',
        trafficWeight: green,
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
        status: 'ACTIVE',
      },
    ],
    ...extra,
  };
}

export function deploymentInfo(
  status: string,
  extra: Partial<DeploymentInfo> = {},
): DeploymentInfo {
  return {
    deploymentId: 'd-ABCDEFGHI',
    applicationName: 'AppECS-prod-web',
    deploymentGroupName: 'DgpECS-prod-web',
    status: status as DeploymentInfo['status'],
    createTime: at(0),
    ...extra,
  };
}

/** All events up to and including `last` Succeeded. */
export function succeededThrough(last: (typeof EVENT_NAMES)[number]) {
  const events: Partial<Record<(typeof EVENT_NAMES)[number], EventStatus>> = {};
  for (const name of EVENT_NAMES) {
    events[name] = 'Succeeded';
    if (name === last) break;
  }
  return events;
}
