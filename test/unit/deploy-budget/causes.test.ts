import { describe, expect, test } from 'vitest';
import {
  attributeCauses,
  type Cause,
  type RecordedTask,
  type RecordedTimeline,
  renderCauses,
  rollingWaves,
} from '../../../src/actions/deploy-budget/causes.ts';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const at = (seconds: number) => T0 + seconds * 1000;

/** A task whose steps start at `created` and take the given seconds. */
function task(
  id: string,
  created: number,
  steps: { provision: number; pull: number; start: number },
): RecordedTask {
  const pullStartedAt = created + steps.provision;
  const pullStoppedAt = pullStartedAt + steps.pull;
  return {
    id,
    createdAt: at(created),
    pullStartedAt: at(pullStartedAt),
    pullStoppedAt: at(pullStoppedAt),
    startedAt: at(pullStoppedAt + steps.start),
  };
}

function timeline(end: number, extra: Partial<RecordedTimeline> = {}): RecordedTimeline {
  return { window: { start: at(0), end: at(end) }, tasks: [], notes: [], ...extra };
}

/**
 * A rolling update of two tasks: provisioning 20 s, a 1 GB image pulled in 40 s, 5 s to start,
 * healthy 150 s after start (30 s × 5 checks), then the old tasks drain for 300 s.
 */
function slowRolling(): RecordedTimeline {
  return timeline(520, {
    tasks: [
      task('aaa', 2, { provision: 20, pull: 40, start: 5 }),
      task('bbb', 3, { provision: 20, pull: 40, start: 5 }),
    ],
    imageBytes: 1e9,
    newTargetGroup: {
      name: 'api',
      healthCheckIntervalSeconds: 30,
      healthCheckTimeoutSeconds: 5,
      healthyThresholdCount: 5,
      deregistrationDelaySeconds: 300,
    },
    oldTargetGroup: { name: 'api', deregistrationDelaySeconds: 300 },
    rolling: { desiredCount: 2, minimumHealthyPercent: 100, maximumPercent: 200 },
    healthy: { at: at(218), source: "service event 'has begun draining connections'" },
    drains: [
      {
        start: at(218),
        end: at(518),
        source: "service events 'has begun draining connections' → 'has stopped 2 running tasks'",
      },
    ],
  });
}

function fastRolling(): RecordedTimeline {
  return timeline(75, {
    tasks: [task('ccc', 1, { provision: 8, pull: 3, start: 2 })],
    imageBytes: 40e6,
    newTargetGroup: {
      name: 'api',
      healthCheckIntervalSeconds: 10,
      healthCheckTimeoutSeconds: 5,
      healthyThresholdCount: 2,
    },
    oldTargetGroup: { name: 'api', deregistrationDelaySeconds: 30 },
    rolling: { desiredCount: 1, minimumHealthyPercent: 100, maximumPercent: 200 },
    healthy: { at: at(35), source: "service event 'has begun draining connections'" },
    drains: [{ start: at(35), end: at(65), source: 'drain events' }],
  });
}

type Row = Pick<Cause, 'id' | 'seconds' | 'savesSeconds'>;

function rows(t: RecordedTimeline): Row[] {
  return attributeCauses(t).causes.map(({ id, seconds, savesSeconds }) => {
    const row: Row = { id };
    if (seconds !== undefined) row.seconds = seconds;
    if (savesSeconds !== undefined) row.savesSeconds = savesSeconds;
    return row;
  });
}

describe('attributeCauses: recorded timelines → ranked causes and savings', () => {
  test.each<[string, () => RecordedTimeline, Row[]]>([
    [
      'a slow rolling update: the drain and the health checks lead, the 1 GB pull follows',
      slowRolling,
      [
        { id: 'deregistration-delay', seconds: 300, savesSeconds: 270 },
        { id: 'health-checks', seconds: 150, savesSeconds: 130 },
        { id: 'image-pull', seconds: 40, savesSeconds: 20 },
        { id: 'provisioning', seconds: 20 },
        { id: 'container-start', seconds: 5 },
      ],
    ],
    [
      'a fast deploy with lean settings: causes listed, nothing avoidable',
      fastRolling,
      [
        { id: 'deregistration-delay', seconds: 30 },
        { id: 'health-checks', seconds: 21 },
        { id: 'provisioning', seconds: 8 },
        { id: 'image-pull', seconds: 3 },
        { id: 'container-start', seconds: 2 },
      ],
    ],
    [
      'no tasks, no drain events, no healthy mark: settings named as unknown, nothing measured',
      () =>
        timeline(400, {
          newTargetGroup: { name: 'web', healthCheckIntervalSeconds: 30, healthyThresholdCount: 5 },
          oldTargetGroup: { name: 'web', deregistrationDelaySeconds: 300 },
        }),
      [{ id: 'deregistration-delay' }, { id: 'health-checks' }],
    ],
    [
      'drain events read and none found: the delay is not claimed at all',
      () => ({
        ...timeline(400),
        drains: [],
        oldTargetGroup: { name: 'web', deregistrationDelaySeconds: 300 },
      }),
      [],
    ],
    [
      'the image size unknown: the pull is measured but no saving is claimed',
      () => {
        const t = slowRolling();
        delete t.imageBytes;
        return t;
      },
      [
        { id: 'deregistration-delay', seconds: 300, savesSeconds: 270 },
        { id: 'health-checks', seconds: 150, savesSeconds: 130 },
        { id: 'image-pull', seconds: 40 },
        { id: 'provisioning', seconds: 20 },
        { id: 'container-start', seconds: 5 },
      ],
    ],
    [
      'a task without pull timestamps: provisioning and pull are not split, start is not claimed',
      () =>
        timeline(100, {
          tasks: [{ id: 'ddd', createdAt: at(1), startedAt: at(60) }],
          imageBytes: 1e9,
        }),
      [],
    ],
    [
      'the drain after the deploy ended (wait-until: deployed) costs the deploy nothing',
      () => ({ ...slowRolling(), window: { start: at(0), end: at(218) } }),
      [
        { id: 'health-checks', seconds: 150, savesSeconds: 130 },
        { id: 'image-pull', seconds: 40, savesSeconds: 20 },
        { id: 'provisioning', seconds: 20 },
        { id: 'container-start', seconds: 5 },
      ],
    ],
    [
      'a drain cut by the window end counts only the part inside',
      () => ({ ...slowRolling(), window: { start: at(0), end: at(318) } }),
      [
        { id: 'health-checks', seconds: 150, savesSeconds: 130 },
        { id: 'deregistration-delay', seconds: 100, savesSeconds: 70 },
        { id: 'image-pull', seconds: 40, savesSeconds: 20 },
        { id: 'provisioning', seconds: 20 },
        { id: 'container-start', seconds: 5 },
      ],
    ],
  ])('%s', (_name, make, expected) => {
    expect(rows(make())).toEqual(expected);
  });

  test('the slow deploy explains its time with numbers a user can check in the console', () => {
    const result = attributeCauses(slowRolling());
    const [drain, health, pull] = result.causes;
    expect(drain).toMatchObject({
      setting: 'deregistration_delay.timeout_seconds on target group api',
      value: '300 s',
      suggestion:
        'deregistration delay 300 s → 30 s saves ~4m30s; does your app finish its in-flight requests within 30 s?',
    });
    expect(health?.value).toBe('target group api: every 30 s, 5 healthy in a row (~2m30s)');
    expect(health?.suggestion).toMatch(
      /^interval 30 s → 10 s, healthy threshold 5 → 2 saves ~2m10s/,
    );
    expect(pull?.value).toBe('1 GB, pulled at 25 MB/s');
    expect(pull?.measured).toBe(
      'DescribeTasks, task bbb: pullStartedAt 12:00:23Z → pullStoppedAt 12:01:03Z',
    );
    expect(result.windowSeconds).toBe(520);
    // 520 s − (300 + 150 + 40 + 20 + 5) s: the 3 s before the last task was created, 2 s at the end.
    expect(result.otherSeconds).toBe(5);
  });

  test('unknown causes name their setting but claim no seconds and no saving', () => {
    const result = attributeCauses(
      timeline(400, {
        newTargetGroup: { name: 'web', healthCheckIntervalSeconds: 30, healthyThresholdCount: 5 },
        oldTargetGroup: { name: 'web', deregistrationDelaySeconds: 300 },
        notes: ['elasticloadbalancing:DescribeTargetGroups was denied'],
      }),
    );
    for (const cause of result.causes) {
      expect(cause.seconds).toBeUndefined();
      expect(cause.savesSeconds).toBeUndefined();
      expect(cause.measured).toMatch(/^not recorded/);
    }
    expect(result.otherSeconds).toBe(400);
    expect(result.notes).toEqual(['elasticloadbalancing:DescribeTargetGroups was denied']);
  });

  test('every second is attributed once: overlapping spans never add up past the window', () => {
    const t = timeline(200, {
      tasks: [task('a', 0, { provision: 10, pull: 100, start: 5 })],
      // A drain recorded across the pull: the drain claims it first, the pull keeps the rest.
      drains: [{ start: at(50), end: at(105), source: 'drain' }],
      oldTargetGroup: { name: 'x', deregistrationDelaySeconds: 100 },
    });
    const result = attributeCauses(t);
    const byId = Object.fromEntries(result.causes.map((c) => [c.id, c.seconds]));
    expect(byId).toEqual({
      'deregistration-delay': 55,
      'image-pull': 45,
      provisioning: 10,
      'container-start': 5,
    });
    const sum = result.causes.reduce((s, c) => s + (c.seconds ?? 0), 0);
    expect(sum + result.otherSeconds).toBe(result.windowSeconds);
  });
});

describe('CodeDeploy and ECS blue/green waits', () => {
  const canary = (minutes: number, end = 1200) =>
    timeline(end, {
      trafficShifting: {
        setting: 'deployment config CodeDeployDefault.ECSCanary10Percent15Minutes',
        kind: 'canary',
        percentage: 10,
        intervalMinutes: minutes,
        span: { start: at(100), end: at(100 + minutes * 60), source: 'AllowTraffic event' },
      },
    });

  test.each<[string, () => RecordedTimeline, Row[]]>([
    [
      'a 15-minute canary: a 5-minute one saves 10 min',
      () => canary(15),
      [{ id: 'traffic-shifting', seconds: 900, savesSeconds: 600 }],
    ],
    [
      'a 5-minute canary is already the suggestion',
      () => canary(5),
      [{ id: 'traffic-shifting', seconds: 300 }],
    ],
    [
      'linear 10% every 3 minutes: 9 waits of 3 min, 1-minute steps save 18 min',
      () =>
        timeline(2000, {
          trafficShifting: {
            setting: 'deployment config CodeDeployDefault.ECSLinear10PercentEvery3Minutes',
            kind: 'linear',
            percentage: 10,
            intervalMinutes: 3,
            span: { start: at(60), end: at(60 + 27 * 60), source: 'AllowTraffic event' },
          },
        }),
      [{ id: 'traffic-shifting', seconds: 1620, savesSeconds: 1080 }],
    ],
    [
      'all at once: the shift is measured and nothing is suggested',
      () =>
        timeline(100, {
          trafficShifting: {
            setting: 'deployment config CodeDeployDefault.ECSAllAtOnce',
            kind: 'all-at-once',
            span: { start: at(50), end: at(53), source: 'AllowTraffic event' },
          },
        }),
      [{ id: 'traffic-shifting', seconds: 3 }],
    ],
    [
      'a canary whose shift times were not read is named, not measured',
      () => {
        const t = canary(15);
        delete t.trafficShifting!.span;
        return t;
      },
      [{ id: 'traffic-shifting' }],
    ],
    [
      'a termination wait inside the deploy (wait-until: complete) is saved whole by wait-until: deployed',
      () =>
        timeline(4000, {
          terminationWait: {
            setting: 'deployment group DgpECS-prod-web',
            minutes: 60,
            span: { start: at(300), end: at(3900), source: 'AfterAllowTraffic end → completeTime' },
          },
        }),
      [{ id: 'termination-wait', seconds: 3600, savesSeconds: 3600 }],
    ],
    [
      'a termination wait that had not happened when the deploy ended is not claimed',
      () =>
        timeline(300, {
          terminationWait: { setting: 'deployment group DgpECS-prod-web', minutes: 60 },
        }),
      [],
    ],
    [
      'a native blue/green bake inside the deploy',
      () =>
        timeline(900, {
          bakeTime: {
            setting: 'service web deploymentConfiguration',
            minutes: 10,
            span: { start: at(250), end: at(850), source: 'BAKE_TIME stage' },
          },
        }),
      [{ id: 'bake-time', seconds: 600, savesSeconds: 600 }],
    ],
  ])('%s', (_name, make, expected) => {
    expect(rows(make())).toEqual(expected);
  });

  test('the termination wait suggestion keeps the rollback and offers a shorter wait', () => {
    const [cause] = attributeCauses(
      timeline(4000, {
        terminationWait: {
          setting: 'deployment group DgpECS-prod-web',
          minutes: 60,
          span: { start: at(300), end: at(3900), source: 'x' },
        },
      }),
    ).causes;
    expect(cause?.setting).toBe('terminationWaitTimeInMinutes on deployment group DgpECS-prod-web');
    expect(cause?.suggestion).toBe(
      'wait-until: deployed saves ~1h: the pipeline stops waiting once production traffic is on the new tasks, while CodeDeploy still keeps the original task set for a rollback; or a 5-minute termination wait, if a rollback after that is rare',
    );
  });
});

describe('health checks', () => {
  function healthTimeline(extra: Partial<RecordedTimeline>, healthyAfter: number) {
    return timeline(300, {
      tasks: [task('t', 0, { provision: 0, pull: 0, start: 10 })],
      healthy: { at: at(10 + healthyAfter), source: 'Install event end' },
      ...extra,
    });
  }

  test.each<[string, Partial<RecordedTimeline>, number, number | undefined]>([
    [
      'ALB defaults (30 s × 5): 10 s × 2 saves up to 130 s',
      { newTargetGroup: { name: 'g', healthCheckIntervalSeconds: 30, healthyThresholdCount: 5 } },
      155,
      130,
    ],
    [
      'a saving never exceeds the time measured beyond the new floor',
      { newTargetGroup: { name: 'g', healthCheckIntervalSeconds: 30, healthyThresholdCount: 5 } },
      60,
      40,
    ],
    [
      'a 15 s timeout keeps the suggested interval above it (16 s × 2)',
      {
        newTargetGroup: {
          name: 'g',
          healthCheckIntervalSeconds: 30,
          healthCheckTimeoutSeconds: 15,
          healthyThresholdCount: 5,
        },
      },
      150,
      118,
    ],
    [
      'a container check with a 60 s interval dominates a fast target group',
      {
        newTargetGroup: { name: 'g', healthCheckIntervalSeconds: 5, healthyThresholdCount: 2 },
        containerHealthCheck: {
          container: 'web',
          intervalSeconds: 60,
          timeoutSeconds: 5,
          retries: 3,
          startPeriodSeconds: 0,
        },
      },
      62,
      50,
    ],
    [
      'settings already lean: nothing to suggest',
      { newTargetGroup: { name: 'g', healthCheckIntervalSeconds: 10, healthyThresholdCount: 2 } },
      25,
      undefined,
    ],
    ['no settings read: measured, no suggestion', {}, 90, undefined],
  ])('%s', (_name, extra, healthyAfter, saving) => {
    const cause = attributeCauses(healthTimeline(extra, healthyAfter)).causes.find(
      (c) => c.id === 'health-checks',
    );
    expect(cause?.seconds).toBe(healthyAfter);
    expect(cause?.savesSeconds).toBe(saving);
  });

  test('a healthy mark before the last task started is not believed', () => {
    const t = healthTimeline(
      { newTargetGroup: { name: 'g', healthCheckIntervalSeconds: 30, healthyThresholdCount: 5 } },
      0,
    );
    t.healthy = { at: at(5), source: 'x' };
    const ids = attributeCauses(t).causes.map((c) => [c.id, c.seconds]);
    expect(ids).toContainEqual(['health-checks', undefined]);
  });
});

describe('rolling update waves', () => {
  test.each([
    [{ desiredCount: 4, minimumHealthyPercent: 100, maximumPercent: 200 }, 1],
    [{ desiredCount: 4, minimumHealthyPercent: 100, maximumPercent: 150 }, 2],
    [{ desiredCount: 4, minimumHealthyPercent: 50, maximumPercent: 100 }, 2],
    [{ desiredCount: 10, minimumHealthyPercent: 100, maximumPercent: 110 }, 10],
    [{ desiredCount: 3, minimumHealthyPercent: 0, maximumPercent: 100 }, 1],
    [{ desiredCount: 2, minimumHealthyPercent: 100, maximumPercent: 100 }, undefined],
    [{ desiredCount: 0, minimumHealthyPercent: 100, maximumPercent: 200 }, 0],
  ])('%j needs %s waves', (rolling, waves) => {
    expect(rollingWaves(rolling)).toBe(waves);
  });

  test('later waves waiting for earlier ones are claimed, and maximumPercent 200 is suggested', () => {
    const t = timeline(400, {
      rolling: { desiredCount: 4, minimumHealthyPercent: 100, maximumPercent: 150 },
      tasks: [
        task('w1a', 1, { provision: 10, pull: 10, start: 5 }),
        task('w1b', 1, { provision: 10, pull: 10, start: 5 }),
        task('w2a', 120, { provision: 10, pull: 10, start: 5 }),
        task('w2b', 121, { provision: 10, pull: 10, start: 5 }),
      ],
    });
    const cause = attributeCauses(t).causes.find((c) => c.id === 'rolling-batches');
    expect(cause).toMatchObject({
      cause: 'Earlier waves of the rolling update (2 waves)',
      seconds: 120,
      savesSeconds: 120,
      value: '100% / 150% of 4 tasks',
    });
    expect(cause?.suggestion).toMatch(/^maximumPercent 150 → 200 saves ~2m: all 4 new tasks/);
  });

  test('tasks created apart with settings that allow one wave are not blamed on the settings', () => {
    const t = timeline(400, {
      rolling: { desiredCount: 2, minimumHealthyPercent: 100, maximumPercent: 200 },
      tasks: [
        task('a', 1, { provision: 10, pull: 10, start: 5 }),
        task('b', 90, { provision: 10, pull: 10, start: 5 }),
      ],
    });
    expect(attributeCauses(t).causes.map((c) => c.id)).not.toContain('rolling-batches');
  });
});

describe('the causes section', () => {
  test('a ranked table with settings, values and savings, then what nothing explains', () => {
    const text = renderCauses(attributeCauses(slowRolling()));
    const rows = text.split('\n').filter((l) => /^\| (\d+ )?\|/.test(l));
    expect(rows[0]).toBe(
      '| 1 | Old tasks draining (deregistration delay) | 5m | deregistration_delay.timeout_seconds on target group api | 300 s | deregistration delay 300 s → 30 s saves ~4m30s; does your app finish its in-flight requests within 30 s? |',
    );
    expect(rows[2]).toMatch(
      /^\| 3 \| Image pull \| 40s \| .* \| 1 GB, pulled at 25 MB\/s \| an image half the size saves ~20s/,
    );
    expect(rows.at(-1)).toBe('| | Not explained by what AWS recorded | 5s | | | |');
    expect(text).toContain('### Where the 8m40s on AWS went');
    expect(text).toContain('Suggestions are advice: this action never changes a setting.');
    expect(text).toContain(
      '- Image pull: DescribeTasks, task bbb: pullStartedAt 12:00:23Z → pullStoppedAt 12:01:03Z',
    );
  });

  test('a fast deploy says nothing measured is avoidable; unknown causes and notes are shown', () => {
    expect(renderCauses(attributeCauses(fastRolling()))).toContain(
      'Nothing measured is avoidable: no suggestion would save 10 s or more.',
    );
    const text = renderCauses(
      attributeCauses(
        timeline(60, {
          oldTargetGroup: { name: 'web|blue', deregistrationDelaySeconds: 300 },
          notes: ['ecs:ListTasks was denied, so the new tasks and their start times are unknown'],
        }),
      ),
    );
    expect(text).toContain(
      '| 1 | Old tasks draining (deregistration delay) | not recorded | deregistration_delay.timeout_seconds on target group web\\|blue | 300 s |',
    );
    expect(text).toContain(
      '- ecs:ListTasks was denied, so the new tasks and their start times are unknown',
    );
  });
});
