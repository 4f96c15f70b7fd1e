import { describe, expect, test } from 'vitest';
import { deployStep, sandbox, workspace } from './helpers.ts';

describe('deploy through CodeDeploy: faults, concurrency and re-runs (sandbox)', () => {
  test('throttling on 30 % of calls still ends in a successful deploy', async () => {
    const sb = await sandbox('codedeploy');
    sb.faults.set([{ kind: 'throttle', share: 0.3 }]);
    const result = await deployStep(sb, { service: 'web' });
    expect(result.exitCode, result.log).toBe(0);
    expect(sb.calls.filter((c) => c.fault === 'throttle').length).toBeGreaterThan(0);
    expect(sb.callsTo('CreateDeployment').filter((c) => c.status === 200)).toHaveLength(1);
  });

  test('a deployment already active is named; wait-for-active waits for it instead', async () => {
    // Slow enough that the first deployment outlives the start of the next two steps.
    const sb = await sandbox('codedeploy', 60);
    const dir = workspace();
    const first = await deployStep(sb, { service: 'web', 'wait-until': 'none' }, dir);
    expect(first.exitCode, first.log).toBe(0);
    const id = first.outputs['deployment-id'];
    const second = await deployStep(sb, { service: 'web' }, dir);
    expect(second.exitCode).toBe(1);
    expect(second.errors[0]).toMatch(
      new RegExp(
        `^CodeDeploy deployment ${id} \\((Created|InProgress|Baking)\\) is already in progress on service 'web'; wait for it to end, or set wait-for-active: true to wait here$`,
      ),
    );
    const third = await deployStep(sb, { service: 'web', 'wait-for-active': 'true' }, dir);
    expect(third.exitCode, third.log).toBe(0);
    // The first deployment put the same revision live: nothing is deployed twice.
    expect(third.outputs.status).toBe('UNCHANGED');
    expect(sb.callsTo('CreateDeployment')).toHaveLength(1);
  });

  test('re-running after a success does not deploy the same task definition again, unless forced', async () => {
    const sb = await sandbox('codedeploy');
    const dir = workspace();
    const first = await deployStep(sb, { service: 'web', 'wait-until': 'complete' }, dir);
    expect(first.exitCode, first.log).toBe(0);
    const again = await deployStep(sb, { service: 'web' }, dir);
    expect(again.exitCode, again.log).toBe(0);
    expect(again.outputs).toMatchObject({
      status: 'UNCHANGED',
      'deployment-id': first.outputs['deployment-id'],
      'task-definition-arn': first.outputs['task-definition-arn'],
    });
    expect(sb.callsTo('RegisterTaskDefinition')).toHaveLength(1);
    expect(sb.callsTo('CreateDeployment')).toHaveLength(1);
    const forced = await deployStep(sb, { service: 'web', 'force-new-deployment': 'true' }, dir);
    expect(forced.exitCode, forced.log).toBe(0);
    expect(forced.outputs['task-definition-arn']).toBe(first.outputs['task-definition-arn']);
    expect(sb.callsTo('RegisterTaskDefinition')).toHaveLength(1);
    expect(sb.callsTo('CreateDeployment')).toHaveLength(2);
  });
});
