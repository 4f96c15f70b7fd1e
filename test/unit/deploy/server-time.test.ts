import { describe, expect, test } from 'vitest';
import { awaitedAt, trafficShiftEnd } from '../../../src/actions/deploy/codedeploy.ts';
import {
  planSleep,
  ServerTime,
  TimestampWatch,
  timestampsIn,
} from '../../../src/actions/deploy/server-time.ts';
import { at, deploymentInfo, ecsTarget, succeededThrough } from './helpers.ts';

/** AWS time runs `rate` times faster than local time and is `offset` ms ahead of it. */
function world(rate: number, offset: number) {
  return {
    aws: (local: number) => offset + local * rate,
    local: (aws: number) => (aws - offset) / rate,
  };
}

describe('relating AWS time to the runner’s clock', () => {
  test.each([
    ['real AWS, runner clock 3 minutes slow', 1, 180_000, 1000],
    ['real AWS, runner clock 2 minutes fast', 1, -120_000, 1000],
    ['a simulator at 60× real time', 60, 5_000_000, 20_000],
  ])(
    '%s: the predicted window contains the true local time and is narrow',
    (_name, rate, offset, width) => {
      const w = world(rate, offset);
      // CreateDeployment sent at 1000, answered at 1040 (local ms); AWS stamped it in between.
      const clock = new ServerTime(w.aws(1020), 1000, 1040);
      const watch = new TimestampWatch(clock);
      // Events happen at irregular AWS times; the action polls every 5 s local.
      const events = [3_100, 9_800, 16_200, 31_000, 47_500, 60_300].map((l) => w.aws(1000 + l));
      for (let poll = 1; poll <= 14; poll++) {
        const sentAt = 1000 + poll * 5000;
        const answeredAt = sentAt + 30;
        const handledAws = w.aws(sentAt + 15);
        const visible = events.filter((e) => e <= handledAws);
        watch.observe([w.aws(1020), ...visible], sentAt, answeredAt);
      }
      const target = w.aws(1000 + 300_000);
      const window = clock.window(target);
      expect(window).toBeDefined();
      expect(window!.earliest).toBeLessThanOrEqual(w.local(target));
      expect(window!.latest).toBeGreaterThanOrEqual(w.local(target));
      expect(window!.latest - window!.earliest).toBeLessThan(width);
    },
  );

  test('without two sides to the rate there is no prediction', () => {
    const clock = new ServerTime(1_000_000, 0, 10);
    expect(clock.window(2_000_000)).toBeUndefined();
    clock.seen(1_005_000, 5_000);
    expect(clock.window(2_000_000)).toBeUndefined();
  });

  test('observations that contradict each other (a clock jump) switch prediction off', () => {
    const clock = new ServerTime(1_000_000, 0, 10);
    clock.seen(1_100_000, 1_000);
    clock.notYet(1_001_000, 5_000);
    expect(clock.window(2_000_000)).toBeUndefined();
  });

  test('every Date in a response is a timestamp', () => {
    expect(timestampsIn({ a: new Date(5), b: [{ c: new Date(7) }, 'x', 3] })).toEqual([5, 7]);
  });
});

describe('planning the next poll', () => {
  const window = { earliest: 100_000, latest: 103_000 };
  test.each([
    ['no prediction: the regular interval', 0, undefined, 5000, 'regular'],
    ['long before the window: skip, up to the cap', 0, window, 60_000, 'quiet'],
    ['just before the window: wake one interval early', 60_000, window, 35_000, 'quiet'],
    ['one interval before: poll at the earliest moment', 96_000, window, 4000, 'window'],
    ['inside the window: four times as often', 100_500, window, 1250, 'window'],
    ['near its end: just after the latest moment', 102_500, window, 501, 'window'],
    ['after the window: the regular interval again', 104_000, window, 5000, 'regular'],
  ] as const)('%s', (_what, now, w, delay, reason) => {
    expect(planSleep(now, 5000, w, 60_000)).toEqual({ delay, reason });
  });
});

describe('predicting when the awaited state can come', () => {
  test.each([
    ['CodeDeployDefault.ECSCanary10Percent5Minutes', 300],
    ['CodeDeployDefault.ECSCanary10Percent15Minutes', 900],
    ['CodeDeployDefault.ECSLinear10PercentEvery1Minutes', 540],
    ['CodeDeployDefault.ECSLinear10PercentEvery3Minutes', 1620],
    ['CodeDeployDefault.ECSAllAtOnce', 0],
  ])('%s shifts all traffic %i s after AllowTraffic starts', (config, seconds) => {
    expect(trafficShiftEnd(config, at(0))).toBe(at(seconds).getTime());
  });

  test('a custom configuration is not guessed at', () => {
    expect(trafficShiftEnd('Acme.Canary20Percent2Minutes', at(0))).toBeUndefined();
  });

  test('complete: the termination wait after the last lifecycle event', () => {
    const target = ecsTarget(succeededThrough('AfterAllowTraffic'), 100);
    const end = target.lifecycleEvents!.at(-1)!.endTime!.getTime();
    expect(awaitedAt('complete', deploymentInfo('Baking'), target, 3)).toBe(end + 180_000);
    expect(
      awaitedAt(
        'complete',
        deploymentInfo('Baking', {
          blueGreenDeploymentConfiguration: {
            terminateBlueInstancesOnDeploymentSuccess: { action: 'KEEP_ALIVE' },
          },
        }),
        target,
        3,
      ),
    ).toBeUndefined();
  });

  test('deployed during a canary: the end of the canary interval', () => {
    const target = ecsTarget(
      { ...succeededThrough('BeforeAllowTraffic'), AllowTraffic: 'InProgress' },
      10,
    );
    const start = target.lifecycleEvents![6]!.startTime!.getTime();
    const deployment = deploymentInfo('InProgress', {
      deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
    });
    expect(awaitedAt('deployed', deployment, target, undefined)).toBe(start + 300_000);
    expect(awaitedAt('complete', deployment, target, 3)).toBe(start + 300_000 + 180_000);
    expect(awaitedAt('ready', deployment, target, 3)).toBeUndefined();
  });

  test('nothing is predicted once the deployment has ended', () => {
    expect(
      awaitedAt(
        'complete',
        deploymentInfo('Succeeded'),
        ecsTarget(succeededThrough('AfterAllowTraffic'), 100),
        3,
      ),
    ).toBeUndefined();
  });
});
