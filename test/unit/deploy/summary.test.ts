import { describe, expect, test } from 'vitest';
import { Progress } from '../../../src/actions/deploy/progress.ts';
import { renderSummary } from '../../../src/actions/deploy/summary.ts';
import type { DeployResult } from '../../../src/actions/deploy/types.ts';
import { fakeTime, recordingLog } from './helpers.ts';

const result: DeployResult = {
  controller: 'CODE_DEPLOY',
  strategy: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8',
  deploymentId: 'd-ABCDEFGHI',
  status: 'Succeeded',
  unchanged: false,
  durationSeconds: 372,
  phases: [
    {
      name: 'Install',
      startedAt: '2025-01-01T10:00:05.000Z',
      endedAt: '2025-01-01T10:01:05.000Z',
      seconds: 60,
    },
    {
      name: 'AllowTraffic',
      startedAt: '2025-01-01T10:01:30.000Z',
      endedAt: '2025-01-01T10:06:40.000Z',
      seconds: 310,
    },
  ],
  traffic: [
    { at: '2025-01-01T10:01:40.000Z', weights: { Blue: 90, Green: 10 } },
    { at: '2025-01-01T10:06:40.000Z', weights: { Blue: 0, Green: 100 } },
  ],
  rolledBack: false,
  waitUntil: 'complete',
  reached: true,
  notes: ['Test traffic: 10/10 probes of http://test/ answered 200'],
  links: [
    {
      title: 'CodeDeploy deployment d-ABCDEFGHI',
      url: 'https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-ABCDEFGHI?region=us-east-1',
    },
    {
      title: 'ECS service',
      url: 'https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod/services/web/deployments?region=us-east-1',
    },
  ],
};

describe('the job summary', () => {
  test('says what was deployed, with phases, the traffic timeline and console links', () => {
    const md = renderSummary(result, 'prod/web');
    expect(md).toContain('### ✅ Deployed `web:8` to `prod/web` (complete)');
    expect(md).toContain(
      '| Deployment | [d-ABCDEFGHI](https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-ABCDEFGHI?region=us-east-1) |',
    );
    expect(md).toContain('| Duration | 6m12s |');
    expect(md).toContain(
      '| AllowTraffic | 2025-01-01T10:01:30.000Z | 2025-01-01T10:06:40.000Z | 5m10s |',
    );
    expect(md).toContain('| Time | Blue | Green |');
    expect(md).toContain('| +0s | 90% | 10% |');
    expect(md).toContain('| +5m | 0% | 100% |');
    expect(md).toContain('- Test traffic: 10/10 probes of http://test/ answered 200');
    expect(md).toContain(
      '[ECS service](https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod/services/web/deployments?region=us-east-1)',
    );
  });

  test('a failure leads with the reason and the rollback', () => {
    const md = renderSummary(
      { ...result, status: 'Failed', failure: 'hook | failed', rolledBack: true, reached: false },
      'prod/web',
    );
    expect(md).toContain('### ❌ Deploy of `web:8` to `prod/web` failed');
    expect(md).toContain('| Rolled back | **yes** |');
    expect(md).toContain('> **Failure:** hook \\| failed');
  });

  test('a re-run that found nothing to deploy says so', () => {
    const md = renderSummary(
      { ...result, unchanged: true, status: 'UNCHANGED', phases: [], traffic: [] },
      'prod/web',
    );
    expect(md).toContain('### ⏭️ `prod/web` already runs `web:8`');
    expect(md).not.toContain('#### Phases');
  });
});

describe('progress lines', () => {
  test('a fact is printed when it changes and not while it stays the same', () => {
    const clock = fakeTime();
    const { log, lines } = recordingLog();
    const progress = new Progress(log, clock.now);
    progress.stage('Install');
    progress.report('status', 'deployment InProgress');
    clock.advance(5000);
    progress.report('status', 'deployment InProgress');
    progress.stage('Install');
    progress.report('status', 'deployment Ready');
    progress.stage('Ready');
    progress.close();
    expect(lines).toEqual([
      '::group::Install',
      '[0s] deployment InProgress',
      '[5s] deployment Ready',
      '::endgroup::',
      '::group::Ready',
      '::endgroup::',
    ]);
  });
});
