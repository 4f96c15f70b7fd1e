import { describe, expect, test } from 'vitest';
import { codeDeployPhases, interpretCodeDeploy } from '../../../src/actions/deploy/codedeploy.ts';
import { at, deploymentInfo, ecsTarget, succeededThrough } from './helpers.ts';

describe('reading a CodeDeploy deployment', () => {
  test.each([
    {
      when: 'it has not started',
      deployment: deploymentInfo('Created'),
      target: undefined,
      expected: { ready: false, deployed: false, complete: false, stage: 'Created' },
    },
    {
      when: 'the replacement task set is installing',
      deployment: deploymentInfo('InProgress'),
      target: ecsTarget({ BeforeInstall: 'Succeeded', Install: 'InProgress' }),
      expected: { ready: false, deployed: false, complete: false, stage: 'Install' },
    },
    {
      when: 'test traffic reached green and the group has no ready wait',
      deployment: deploymentInfo('InProgress'),
      target: ecsTarget(succeededThrough('AfterAllowTestTraffic')),
      expected: { ready: true, deployed: false, complete: false, stage: 'InProgress' },
    },
    {
      when: 'it waits in Ready for someone to reroute production traffic',
      deployment: deploymentInfo('Ready'),
      target: ecsTarget(succeededThrough('AfterAllowTestTraffic'), 0, { status: 'Ready' }),
      expected: { ready: true, deployed: false, awaitingContinue: true, stage: 'Ready' },
    },
    {
      when: 'a canary sends 10 % of production to green',
      deployment: deploymentInfo('InProgress'),
      target: ecsTarget(
        { ...succeededThrough('BeforeAllowTraffic'), AllowTraffic: 'InProgress' },
        10,
      ),
      expected: { ready: true, deployed: false, complete: false, stage: 'AllowTraffic' },
    },
    {
      when: 'all production traffic is on green',
      deployment: deploymentInfo('InProgress'),
      target: ecsTarget(succeededThrough('AllowTraffic'), 100),
      expected: { ready: true, deployed: true, complete: false, stage: 'InProgress' },
    },
    {
      when: 'the original task set waits for termination',
      deployment: deploymentInfo('Baking'),
      target: ecsTarget(succeededThrough('AfterAllowTraffic'), 100),
      expected: { deployed: true, complete: false, terminal: false, stage: 'TerminationWait' },
    },
    {
      when: 'it succeeded',
      deployment: deploymentInfo('Succeeded', { completeTime: at(300) }),
      target: ecsTarget(succeededThrough('AfterAllowTraffic'), 100, { status: 'Succeeded' }),
      expected: { ready: true, deployed: true, complete: true, terminal: true, stage: 'Succeeded' },
    },
  ])('$when', ({ deployment, target, expected }) => {
    const view = interpretCodeDeploy('d-ABCDEFGHI', deployment, target);
    expect(view).toMatchObject(expected);
    expect(view.failure).toBeUndefined();
  });

  test('a failed hook fails the deployment with the reason from AWS and names the rollback', () => {
    const target = ecsTarget({
      ...succeededThrough('AfterAllowTestTraffic'),
      BeforeAllowTraffic: 'Failed',
    });
    target.lifecycleEvents![5]!.diagnostics = {
      errorCode: 'ScriptFailed',
      message: 'The Lambda function smoke-test reported a Failed status.',
    };
    const view = interpretCodeDeploy(
      'd-ABCDEFGHI',
      deploymentInfo('Failed', {
        errorInformation: {
          code: 'HOOK_EXECUTION_FAILURE',
          message: 'The deployment failed because a lifecycle event hook reported a Failed status.',
        },
        rollbackInfo: { rollbackDeploymentId: 'd-ROLLBACK1' },
      }),
      target,
    );
    expect(view.terminal).toBe(true);
    expect(view.rollbackDeploymentId).toBe('d-ROLLBACK1');
    expect(view.failure).toBe(
      'CodeDeploy deployment d-ABCDEFGHI Failed; HOOK_EXECUTION_FAILURE: The deployment failed because a lifecycle event hook reported a Failed status.; lifecycle event BeforeAllowTraffic failed: ScriptFailed: The Lambda function smoke-test reported a Failed status.; rolled back by deployment d-ROLLBACK1',
    );
  });

  test('a deployment stopped by someone else is a failure too', () => {
    const view = interpretCodeDeploy(
      'd-ABCDEFGHI',
      deploymentInfo('Stopped', {
        errorInformation: { code: 'MANUAL_STOP', message: 'stopped by a user' },
      }),
      ecsTarget(succeededThrough('Install')),
    );
    expect(view.failure).toMatch(
      /^CodeDeploy deployment d-ABCDEFGHI Stopped; MANUAL_STOP: stopped by a user$/,
    );
  });

  test('traffic weights are read by task set label', () => {
    const view = interpretCodeDeploy('d-1', deploymentInfo('InProgress'), ecsTarget({}, 30));
    expect(view.weights).toEqual({ Blue: 70, Green: 30 });
  });
});

describe('phases of a CodeDeploy deployment', () => {
  test('finished lifecycle events become phases with their AWS times; skipped ones do not', () => {
    const target = ecsTarget({ ...succeededThrough('Install'), AfterInstall: 'Skipped' });
    expect(codeDeployPhases(deploymentInfo('InProgress'), target)).toEqual([
      {
        name: 'BeforeInstall',
        startedAt: at(10).toISOString(),
        endedAt: at(20).toISOString(),
        seconds: 10,
      },
      {
        name: 'Install',
        startedAt: at(20).toISOString(),
        endedAt: at(30).toISOString(),
        seconds: 10,
      },
    ]);
  });

  test('the ready wait and the termination wait are phases of their own', () => {
    const target = ecsTarget(succeededThrough('AfterAllowTraffic'), 100);
    const events = target.lifecycleEvents!;
    // BeforeAllowTraffic starts two minutes after the test traffic checks ended.
    for (const e of events.slice(5)) {
      e.startTime = new Date(e.startTime!.getTime() + 120_000);
      e.endTime = new Date(e.endTime!.getTime() + 120_000);
    }
    const phases = codeDeployPhases(
      deploymentInfo('Succeeded', { completeTime: at(300 + 120) }),
      target,
    );
    expect(phases.map((p) => [p.name, p.seconds])).toEqual([
      ['BeforeInstall', 10],
      ['Install', 10],
      ['AfterInstall', 10],
      ['AllowTestTraffic', 10],
      ['AfterAllowTestTraffic', 10],
      ['ReadyWait', 120],
      ['BeforeAllowTraffic', 10],
      ['AllowTraffic', 10],
      ['AfterAllowTraffic', 10],
      ['TerminationWait', 210],
    ]);
  });
});
