import { describe, expect, test } from 'vitest';
import { deployStep, eventually, sandbox, testListener } from './helpers.ts';

describe('deploy through CodeDeploy blue/green (sandbox)', () => {
  test('AllAtOnce: waits for Succeeded and reports every phase, the termination wait included', async () => {
    const sb = await sandbox('codedeploy');
    const result = await deployStep(sb, { service: 'web', 'wait-until': 'complete' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs).toMatchObject({
      controller: 'CODE_DEPLOY',
      strategy: 'CodeDeployDefault.ECSAllAtOnce',
      status: 'Succeeded',
      'rolled-back': 'false',
      'task-definition-arn': 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8',
    });
    const phases = JSON.parse(result.outputs.phases!) as Array<{ name: string; seconds: number }>;
    expect(phases.map((p) => p.name)).toEqual([
      'BeforeInstall',
      'Install',
      'AfterInstall',
      'AllowTestTraffic',
      'AfterAllowTestTraffic',
      'BeforeAllowTraffic',
      'AllowTraffic',
      'AfterAllowTraffic',
      'TerminationWait',
    ]);
    expect(phases.at(-1)!.seconds).toBe(180);
    const deployment = sb.codedeploy.state.deployments[0]!;
    expect(result.outputs['deployment-id']).toBe(deployment.id);
    expect(deployment.status).toBe('Succeeded');
    // The replacement task set got the service's network settings through the AppSpec.
    expect(deployment.appSpec?.networkConfiguration).toEqual({
      awsvpcConfiguration: {
        subnets: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
        securityGroups: ['sg-0a1b2c3d4e5f60001'],
        assignPublicIp: 'DISABLED',
      },
    });
    expect(result.summary).toContain('#### Phases');
    expect(result.summary).toContain('| TerminationWait |');
    expect(result.log).toMatch(/▶ Deployment d-\w+: Install/);
  });

  test('canary 10 %, wait-until deployed: returns once production is on green, before the termination wait ends', async () => {
    const sb = await sandbox('codedeploy');
    const result = await deployStep(sb, { service: 'canary' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs.strategy).toBe('CodeDeployDefault.ECSCanary10Percent5Minutes');
    const deployment = sb.codedeploy.state.deployments[0]!;
    const fullShift = deployment.trafficHistory.find((h) => h.weight === 100)!.at;
    const lastCall = sb.calls.filter((c) => c.service === 'codedeploy').at(-1)!.time;
    expect(lastCall).toBeGreaterThanOrEqual(fullShift);
    const succeeded = deployment.history.find((h) => h.status === 'Succeeded');
    expect(succeeded === undefined || lastCall < succeeded.at).toBe(true);
    expect(result.outputs.status).not.toBe('Succeeded');
    expect(result.summary).toContain('| Time | Blue | Green |');
    expect(result.summary).toMatch(/\| 90% \| 10% \|/);
    expect(result.summary).toMatch(/\| 0% \| 100% \|/);
    const allowTraffic = JSON.parse(result.outputs.phases!).find(
      (p: { name: string }) => p.name === 'AllowTraffic',
    );
    expect(allowTraffic.seconds).toBeGreaterThanOrEqual(300);
  });

  test('ready + test-traffic gate passing: probes the test listener, then continues the deployment', async () => {
    const sb = await sandbox('codedeploy');
    const url = await testListener(200);
    const result = await deployStep(sb, {
      service: 'gated',
      'wait-until': 'ready',
      'test-url': url,
      'test-requests': '5',
    });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs).toMatchObject({ status: 'Ready', 'rolled-back': 'false' });
    expect(sb.callsTo('ContinueDeployment')).toHaveLength(1);
    expect(sb.callsTo('ContinueDeployment')[0]!.params).toEqual({
      deploymentId: result.outputs['deployment-id'],
      deploymentWaitType: 'READY_WAIT',
    });
    expect(result.summary).toContain(`Test traffic: 5/5 probes of ${url} answered 200`);
    await eventually(() => sb.codedeploy.state.deployments[0]!.status === 'Succeeded');
  });

  test('ready + test-traffic gate failing: stops the deployment with rollback and fails the step', async () => {
    const sb = await sandbox('codedeploy');
    const url = await testListener(503);
    const result = await deployStep(sb, {
      service: 'gated',
      'test-url': url,
      'test-requests': '3',
    });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      `test traffic check failed: 0/3 probes of ${url} answered 200 (3× HTTP 503); stopped deployment ${result.outputs['deployment-id']} with rollback`,
    ]);
    expect(result.outputs['rolled-back']).toBe('true');
    expect(sb.callsTo('ContinueDeployment')).toHaveLength(0);
    expect(sb.callsTo('StopDeployment')[0]!.params).toEqual({
      deploymentId: result.outputs['deployment-id'],
      autoRollbackEnabled: true,
    });
    await eventually(() => sb.codedeploy.state.deployments[0]!.status === 'Stopped');
    expect(sb.codedeploy.state.deployments[0]!.rollbackInfo).toBeDefined();
  });

  test('the gate refuses a group without a ready wait before anything is registered', async () => {
    const sb = await sandbox('codedeploy');
    const url = await testListener(200);
    const result = await deployStep(sb, { service: 'web', 'test-url': url });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(
      /^test-url: the test-traffic gate needs deployment group 'DgpECS-prod-web' to wait/,
    );
    expect(sb.callsTo('RegisterTaskDefinition')).toHaveLength(0);
    expect(sb.callsTo('CreateDeployment')).toHaveLength(0);
  });

  test('a failing hook fails the step with the reason from CodeDeploy and the rollback', async () => {
    const sb = await sandbox('codedeploy');
    const result = await deployStep(sb, {
      service: 'web',
      hooks: 'AfterAllowTestTraffic=web-smoke-test-fails',
    });
    expect(result.exitCode).toBe(1);
    const id = result.outputs['deployment-id'];
    expect(result.errors[0]).toMatch(
      new RegExp(
        `^CodeDeploy deployment ${id} Failed; HOOK_EXECUTION_FAILURE: .*web-smoke-test-fails.*; lifecycle event AfterAllowTestTraffic failed: ScriptFailed: .*; rolled back by deployment d-\\w+$`,
      ),
    );
    expect(result.outputs).toMatchObject({ status: 'Failed', 'rolled-back': 'true' });
    expect(result.log).toContain('hook AfterAllowTestTraffic (web-smoke-test-fails): Failed');
    expect(result.summary).toContain('### ❌');
  });

  test('a timeout stops the deployment with rollback and says what state it was in', async () => {
    const sb = await sandbox('codedeploy');
    const result = await deployStep(sb, { service: 'stuck', timeout: '3s' });
    expect(result.exitCode).toBe(1);
    const id = result.outputs['deployment-id'];
    expect(result.errors[0]).toBe(
      `timed out after 3s waiting for 'deployed': deployment ${id} was InProgress at AllowTraffic (Blue 100% · Green 0%); stopped it with rollback (Pending)`,
    );
    expect(sb.callsTo('StopDeployment')[0]!.params).toEqual({
      deploymentId: id,
      autoRollbackEnabled: true,
    });
    expect(result.outputs['rolled-back']).toBe('true');
  });
});
