import {
  CodeDeployClient,
  ContinueDeploymentCommand,
  type DeploymentInfo,
  type ECSTarget,
  GetDeploymentCommand,
  GetDeploymentTargetCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import { type CodeDeployWait, waitForCodeDeploy } from '../../../src/actions/deploy/codedeploy.ts';
import type { GateResult } from '../../../src/actions/deploy/gate.ts';
import { Progress } from '../../../src/actions/deploy/progress.ts';
import {
  at,
  deploymentInfo,
  ecsTarget,
  fakeTime,
  recordingLog,
  succeededThrough,
} from './helpers.ts';

const cd = mockClient(CodeDeployClient);
const client = new CodeDeployClient({ region: 'us-east-1' });

interface Frame {
  /** Seconds after the wait started. */
  from: number;
  deployment: DeploymentInfo;
  target?: ECSTarget;
}

/** Serves GetDeployment/GetDeploymentTarget from the frame current at the fake time. */
function serve(frames: Frame[], clock: ReturnType<typeof fakeTime>) {
  const start = clock.now();
  const current = () => {
    const elapsed = (clock.now() - start) / 1000;
    return [...frames].reverse().find((f) => f.from <= elapsed) ?? frames[0]!;
  };
  cd.on(GetDeploymentCommand).callsFake(() => ({ deploymentInfo: current().deployment }));
  cd.on(GetDeploymentTargetCommand).callsFake(() => {
    const target = current().target;
    if (!target) {
      throw Object.assign(new Error('The deployment d-ABCDEFGHI has not started.'), {
        name: 'DeploymentNotStartedException',
        $metadata: {},
      });
    }
    return { deploymentTarget: { deploymentTargetType: 'ECSTarget', ecsTarget: target } };
  });
  return current;
}

function waitFor(
  clock: ReturnType<typeof fakeTime>,
  overrides: Partial<CodeDeployWait> = {},
): CodeDeployWait {
  return {
    deploymentId: 'd-ABCDEFGHI',
    targetId: 'prod:web',
    waitUntil: 'deployed',
    rollbackOnTimeout: true,
    timeoutText: '30m',
    hooks: {},
    timing: {
      intervalMs: 5000,
      deadline: clock.now() + 1_800_000,
      now: clock.now,
      sleep: clock.sleep,
      random: clock.random,
    },
    probe: async () => {
      throw new Error('no gate in this test');
    },
    ...overrides,
  };
}

const allAtOnce: Frame[] = [
  { from: 0, deployment: deploymentInfo('Created') },
  {
    from: 5,
    deployment: deploymentInfo('InProgress'),
    target: ecsTarget({ BeforeInstall: 'Succeeded', Install: 'InProgress' }),
  },
  {
    from: 60,
    deployment: deploymentInfo('InProgress'),
    target: ecsTarget({ ...succeededThrough('BeforeAllowTraffic'), AllowTraffic: 'InProgress' }),
  },
  {
    from: 72,
    deployment: deploymentInfo('InProgress'),
    target: ecsTarget(succeededThrough('AllowTraffic'), 100),
  },
  {
    from: 75,
    deployment: deploymentInfo('Baking'),
    target: ecsTarget(succeededThrough('AfterAllowTraffic'), 100),
  },
  {
    from: 255,
    deployment: deploymentInfo('Succeeded', { completeTime: at(255) }),
    target: ecsTarget(succeededThrough('AfterAllowTraffic'), 100, { status: 'Succeeded' }),
  },
];

beforeEach(() => {
  cd.reset();
});

describe('waiting for a CodeDeploy blue/green deployment', () => {
  test('deployed: returns at the first poll that sees production on green, before the termination wait', async () => {
    const clock = fakeTime();
    const { log, text } = recordingLog();
    serve(allAtOnce, clock);
    const started = clock.now();
    const outcome = await waitForCodeDeploy(client, new Progress(log, clock.now), waitFor(clock));
    expect(outcome).toMatchObject({ reached: true, rolledBack: false });
    expect(outcome.failure).toBeUndefined();
    const waited = (clock.now() - started) / 1000;
    expect(waited).toBeGreaterThanOrEqual(72);
    expect(waited).toBeLessThan(72 + 5);
    expect(text()).toContain('traffic: Blue 0% · Green 100%');
    expect(outcome.traffic.at(-1)?.weights).toEqual({ Blue: 0, Green: 100 });
  });

  test('complete: waits for Succeeded and only reads the deployment once the events are over', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    serve(allAtOnce, clock);
    const started = clock.now();
    const outcome = await waitForCodeDeploy(
      client,
      new Progress(log, clock.now),
      waitFor(clock, { waitUntil: 'complete' }),
    );
    expect(outcome).toMatchObject({ reached: true, status: 'Succeeded' });
    const waited = (clock.now() - started) / 1000;
    expect(waited).toBeGreaterThanOrEqual(255);
    expect(waited).toBeLessThan(260);
    expect(outcome.phases.at(-1)?.name).toBe('TerminationWait');
    // The 3-minute termination wait costs one call per poll, not two.
    const terminationPolls = (255 - 80) / 5;
    expect(cd.commandCalls(GetDeploymentTargetCommand).length).toBeLessThan(80 / 5 + 2);
    expect(cd.commandCalls(GetDeploymentCommand).length).toBeLessThan(terminationPolls + 16);
  });

  test('complete: skips polls during the termination wait and notices the end within a second or two', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    // AWS time runs with the local clock here; events i start at 10 + 10i s and take 10 s.
    const names = [
      'BeforeInstall',
      'Install',
      'AfterInstall',
      'AllowTestTraffic',
      'AfterAllowTestTraffic',
      'BeforeAllowTraffic',
      'AllowTraffic',
      'AfterAllowTraffic',
    ] as const;
    const frames: Frame[] = [{ from: 0, deployment: deploymentInfo('Created') }];
    names.forEach((name, i) => {
      const events = {
        ...(i > 0 ? succeededThrough(names[i - 1]!) : {}),
        [name]: 'InProgress' as const,
      };
      frames.push({
        from: 10 + 10 * i,
        deployment: deploymentInfo('InProgress', { startTime: at(10) }),
        target: ecsTarget(events, i >= 7 ? 100 : 0, { lastUpdatedAt: at(10 + 10 * i) }),
      });
    });
    frames.push({
      from: 90,
      deployment: deploymentInfo('Baking', { startTime: at(10) }),
      target: ecsTarget(succeededThrough('AfterAllowTraffic'), 100, { lastUpdatedAt: at(90) }),
    });
    frames.push({
      from: 270,
      deployment: deploymentInfo('Succeeded', { startTime: at(10), completeTime: at(270) }),
      target: ecsTarget(succeededThrough('AfterAllowTraffic'), 100, {
        status: 'Succeeded',
        lastUpdatedAt: at(270),
      }),
    });
    serve(frames, clock);
    const started = clock.now();
    const outcome = await waitForCodeDeploy(
      client,
      new Progress(log, clock.now),
      waitFor(clock, {
        waitUntil: 'complete',
        created: { sentAt: started - 20, answeredAt: started },
        terminationWaitMinutes: 3,
      }),
    );
    expect(outcome.reached).toBe(true);
    const lag = (clock.now() - started) / 1000 - 270;
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(1);
    // Regular polls would make 54 polls of one or two calls each.
    expect(cd.calls().length).toBeLessThan(30);
  });

  test('costs about one call per poll while nothing changes', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    const canary: Frame[] = [
      {
        from: 0,
        deployment: deploymentInfo('InProgress'),
        target: ecsTarget(
          { ...succeededThrough('BeforeAllowTraffic'), AllowTraffic: 'InProgress' },
          10,
        ),
      },
      {
        from: 300,
        deployment: deploymentInfo('InProgress'),
        target: ecsTarget(succeededThrough('AllowTraffic'), 100),
      },
    ];
    serve(canary, clock);
    await waitForCodeDeploy(client, new Progress(log, clock.now), waitFor(clock));
    const calls = cd.calls().length;
    const polls = 300 / 5 + 1;
    expect(calls).toBeLessThanOrEqual(Math.ceil(polls * (1 + 1 / 6)) + 1);
  });

  test('prints each fact once, inside a group per lifecycle event', async () => {
    const clock = fakeTime();
    const { log, lines } = recordingLog();
    serve(allAtOnce, clock);
    await waitForCodeDeploy(
      client,
      new Progress(log, clock.now),
      waitFor(clock, { hooks: { AfterInstall: 'smoke' } }),
    );
    const installLines = lines.filter((l) => /\] Install: InProgress$/.test(l));
    expect(installLines).toHaveLength(1);
    expect(lines).toContain('::group::Deployment d-ABCDEFGHI: Install');
    expect(lines.some((l) => l.endsWith('hook AfterInstall (smoke): Succeeded'))).toBe(true);
    const opens = lines.filter((l) => l.startsWith('::group::')).length;
    const closes = lines.filter((l) => l === '::endgroup::').length;
    expect(opens).toBe(closes);
  });

  test('a failed hook fails the wait with the reason and reports the rollback', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    const failed = ecsTarget(
      {
        ...succeededThrough('AfterInstall'),
        AllowTestTraffic: 'Succeeded',
        AfterAllowTestTraffic: 'Failed',
      },
      0,
      { status: 'Failed' },
    );
    failed.lifecycleEvents![4]!.diagnostics = {
      errorCode: 'ScriptFailed',
      message: 'The Lambda function web-smoke-test reported a Failed status.',
    };
    serve(
      [
        {
          from: 0,
          deployment: deploymentInfo('InProgress'),
          target: ecsTarget({ Install: 'InProgress' }),
        },
        {
          from: 40,
          deployment: deploymentInfo('Failed', {
            errorInformation: { code: 'HOOK_EXECUTION_FAILURE', message: 'hook reported Failed' },
            rollbackInfo: { rollbackDeploymentId: 'd-ROLLBACK1' },
            completeTime: at(40),
          }),
          target: failed,
        },
      ],
      clock,
    );
    const outcome = await waitForCodeDeploy(client, new Progress(log, clock.now), waitFor(clock));
    expect(outcome.reached).toBe(false);
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.status).toBe('Failed');
    expect(outcome.failure).toContain(
      'lifecycle event AfterAllowTestTraffic failed: ScriptFailed: The Lambda function web-smoke-test reported a Failed status.',
    );
    expect(outcome.failure).toContain('rolled back by deployment d-ROLLBACK1');
  });

  test('a timeout stops the deployment with rollback and says where it was', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    serve(
      [
        {
          from: 0,
          deployment: deploymentInfo('InProgress'),
          target: ecsTarget(
            { ...succeededThrough('BeforeAllowTraffic'), AllowTraffic: 'InProgress' },
            10,
          ),
        },
      ],
      clock,
    );
    cd.on(StopDeploymentCommand).resolves({
      status: 'Pending',
      statusMessage: 'Stopping Active Deployment',
    });
    const wait = waitFor(clock, { timeoutText: '2m' });
    wait.timing.deadline = clock.now() + 120_000;
    const outcome = await waitForCodeDeploy(client, new Progress(log, clock.now), wait);
    expect(cd.commandCalls(StopDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: 'd-ABCDEFGHI',
      autoRollbackEnabled: true,
    });
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.failure).toBe(
      "timed out after 2m waiting for 'deployed': deployment d-ABCDEFGHI was InProgress at AllowTraffic (Blue 90% · Green 10%); stopped it with rollback (Pending)",
    );
  });

  test('rollback-on-timeout false leaves the deployment running', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    serve(
      [
        {
          from: 0,
          deployment: deploymentInfo('InProgress'),
          target: ecsTarget({ Install: 'InProgress' }),
        },
      ],
      clock,
    );
    const wait = waitFor(clock, { rollbackOnTimeout: false, timeoutText: '1m' });
    wait.timing.deadline = clock.now() + 60_000;
    const outcome = await waitForCodeDeploy(client, new Progress(log, clock.now), wait);
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    expect(outcome.rolledBack).toBe(false);
    expect(outcome.failure).toMatch(/left it running \(rollback-on-timeout is false\)$/);
  });

  test('throttled polls are retried and the wait still ends', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    serve(allAtOnce, clock);
    let n = 0;
    cd.on(GetDeploymentTargetCommand).callsFake(() => {
      n += 1;
      if (n % 3 === 0)
        throw Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        });
      const elapsed = n * 5;
      return {
        deploymentTarget: {
          ecsTarget:
            elapsed >= 72
              ? ecsTarget(succeededThrough('AllowTraffic'), 100)
              : ecsTarget({ Install: 'InProgress' }),
        },
      };
    });
    const outcome = await waitForCodeDeploy(client, new Progress(log, clock.now), waitFor(clock));
    expect(outcome.reached).toBe(true);
  });
});

describe('the test-traffic gate', () => {
  const readyFrames: Frame[] = [
    {
      from: 0,
      deployment: deploymentInfo('InProgress'),
      target: ecsTarget({ Install: 'InProgress' }),
    },
    {
      from: 30,
      deployment: deploymentInfo('Ready'),
      target: ecsTarget(succeededThrough('AfterAllowTestTraffic'), 0, { status: 'Ready' }),
    },
  ];
  const passing: GateResult = {
    passed: true,
    probes: [],
    summary: '10/10 probes of http://test/ answered 200',
  };
  const failing: GateResult = {
    passed: false,
    probes: [],
    summary: '7/10 probes of http://test/ answered 200 (3× HTTP 500)',
  };
  const gate = { url: 'http://test/', expectStatus: [200], requests: 10, timeoutMs: 1000 };

  test('probes once Ready, then continues the deployment and returns for wait-until ready', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    serve(readyFrames, clock);
    cd.on(ContinueDeploymentCommand).resolves({});
    let probes = 0;
    const outcome = await waitForCodeDeploy(
      client,
      new Progress(log, clock.now),
      waitFor(clock, {
        waitUntil: 'ready',
        gate,
        probe: async () => {
          probes += 1;
          return passing;
        },
      }),
    );
    expect(probes).toBe(1);
    expect(cd.commandCalls(ContinueDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: 'd-ABCDEFGHI',
      deploymentWaitType: 'READY_WAIT',
    });
    expect(outcome).toMatchObject({ reached: true, rolledBack: false, status: 'Ready' });
    expect(outcome.notes).toContain(`Test traffic: ${passing.summary}`);
  });

  test('failing probes stop the deployment with rollback and fail the step', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    serve(readyFrames, clock);
    cd.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    const outcome = await waitForCodeDeploy(
      client,
      new Progress(log, clock.now),
      waitFor(clock, { waitUntil: 'deployed', gate, probe: async () => failing }),
    );
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
    expect(cd.commandCalls(StopDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: 'd-ABCDEFGHI',
      autoRollbackEnabled: true,
    });
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.failure).toBe(
      `test traffic check failed: ${failing.summary}; stopped deployment d-ABCDEFGHI with rollback`,
    );
  });

  test('without a gate, a deployment held in Ready is pointed out once', async () => {
    const clock = fakeTime();
    const { log, lines } = recordingLog();
    serve(readyFrames, clock);
    const wait = waitFor(clock);
    wait.timing.deadline = clock.now() + 60_000;
    cd.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    await waitForCodeDeploy(client, new Progress(log, clock.now), wait);
    expect(
      lines.filter((l) => l.startsWith('warning: deployment d-ABCDEFGHI is Ready')),
    ).toHaveLength(1);
  });
});
