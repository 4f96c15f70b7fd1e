// Every action that calls AWS, run from its bundle, reports an AWS failure in one line that
// names the operation and the resource it was about. The endpoint is a closed port, so the
// first call fails to connect, as it does behind a broken network or a wrong endpoint.
import { describe, expect, test } from 'vitest';
import { runAction } from '../harness/index.ts';

const closed = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'not-a-secret',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  GITHUB_TOKEN: 'ghs_example',
};

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1';

const cases: Array<[string, Record<string, string>, RegExp]> = [
  [
    'deploy',
    { 'task-definition-arn': 'web:7', cluster: 'prod', service: 'web', 'aws-max-attempts': '1' },
    /^DescribeServices \(cluster prod, service web\): connect ECONNREFUSED 127\.0\.0\.1:9$/,
  ],
  [
    'render-task-definition',
    { 'task-definition-family': 'web', 'aws-max-attempts': '1' },
    /^DescribeTaskDefinition \(task definition web\): connect ECONNREFUSED 127\.0\.0\.1:9$/,
  ],
  [
    'ecr-scan',
    { repository: 'web', 'image-tag': 'v1', 'aws-max-attempts': '1' },
    /^DescribeImageScanFindings \(repository web, image v1\): connect ECONNREFUSED 127\.0\.0\.1:9$/,
  ],
  [
    'deploy-budget',
    {
      budget: '5m',
      'started-at': '2024-05-01T12:00:00Z',
      history: 'file:.deploy-budget.json',
      image: IMAGE,
      'aws-max-attempts': '1',
    },
    /^DescribeImages \(registry 123456789012, repository web, image v1\): connect ECONNREFUSED 127\.0\.0\.1:9$/,
  ],
];

describe('an AWS failure names the operation and the resource, in one line', () => {
  test.each(cases)('%s', async (action, inputs, line) => {
    // No run id: deploy-budget would otherwise read the run's jobs from GitHub first.
    const env = { ...closed, GITHUB_RUN_ID: '' };
    const result = await runAction(action, { inputs, env, post: false });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(line);
    expect(result.stdout).not.toMatch(/\n\s+at /);
    expect(result.stderr).toBe('');
  });
});
