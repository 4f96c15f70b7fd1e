import { describe, expect, test } from 'vitest';
import { deployStep, sandbox } from './helpers.ts';

const NEW = 'arn:aws:ecs:eu-west-1:210987654321:task-definition/web:8';

describe('deploy through the ECS deployment controller (sandbox)', () => {
  test('rolling update: deployed when the new PRIMARY deployment is COMPLETED', async () => {
    const sb = await sandbox('ecs');
    const result = await deployStep(sb, {
      service: 'api',
      'wait-until': 'complete',
      'desired-count': '3',
    });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs).toMatchObject({
      controller: 'ECS',
      strategy: 'ROLLING',
      status: 'COMPLETED',
      'rolled-back': 'false',
      'task-definition-arn': NEW,
    });
    expect(result.outputs['deployment-id']).toMatch(/:service-deployment\/prod\/api\//);
    expect(JSON.parse(result.outputs.phases!)[0]).toMatchObject({ name: 'ROLLOUT' });
    expect(sb.callsTo('UpdateService')[0]!.params).toMatchObject({
      taskDefinition: NEW,
      desiredCount: 3,
    });
    expect(result.log).toContain('has reached a steady state');
  });

  test('a circuit-breaker rollback is a failure, with ECS’s reason and why the tasks stopped', async () => {
    const sb = await sandbox('ecs');
    const result = await deployStep(sb, { service: 'api', 'task-definition': 'broken.json' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ status: 'FAILED', 'rolled-back': 'true' });
    const message = result.errors[0]!;
    expect(message).toMatch(
      /^ECS deployment ecs-svc\/\d+ of web:8 failed: .*rolled back to web:7; last service events: /,
    );
    expect(message).toContain('tasks failed to start');
    expect(message).toMatch(/; stopped tasks: Task failed ELB health checks/);
  });

  test('native blue/green: follows the lifecycle stages to SUCCESSFUL', async () => {
    const sb = await sandbox('ecs');
    const result = await deployStep(sb, { service: 'shop', 'wait-until': 'complete' });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs).toMatchObject({
      strategy: 'BLUE_GREEN',
      status: 'SUCCESSFUL',
      'rolled-back': 'false',
    });
    // ECS reports only the current stage: the phases are the stages the polls saw, end to end.
    const phases = JSON.parse(result.outputs.phases!) as Array<{
      name: string;
      startedAt: string;
      endedAt: string;
    }>;
    const deployment = sb.ecs.state.clusters
      .get('prod')!
      .services.get('shop')!
      .serviceDeployments.at(-1)!;
    expect(phases[0]!.startedAt).toBe(new Date(Math.round(deployment.startedAt!)).toISOString());
    expect(phases.at(-1)!.endedAt).toBe(new Date(Math.round(deployment.finishedAt!)).toISOString());
    for (const [i, phase] of phases.slice(1).entries()) {
      expect(phase.startedAt).toBe(phases[i]!.endedAt);
    }
    expect(result.log).toContain(
      'hook arn:aws:lambda:eu-west-1:210987654321:function:shop-smoke: SUCCEEDED',
    );
  });

  test('native blue/green rollback (a failed hook) ends in ROLLBACK_SUCCESSFUL, which fails the step', async () => {
    const sb = await sandbox('ecs');
    const result = await deployStep(sb, { service: 'cart' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL', 'rolled-back': 'true' });
    expect(result.errors[0]).toMatch(
      /ROLLBACK_SUCCESSFUL; .*hook arn:aws:lambda:eu-west-1:210987654321:function:cart-smoke-fails FAILED/,
    );
  });

  test('ready is refused for a rolling service before anything changes', async () => {
    const sb = await sandbox('ecs');
    const result = await deployStep(sb, { service: 'api', 'wait-until': 'ready' });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toBe(
      "wait-until: ready needs a blue/green deployment with a test stage, but service 'api' uses a ROLLING update",
    );
    expect(sb.callsTo('RegisterTaskDefinition')).toHaveLength(0);
  });
});
