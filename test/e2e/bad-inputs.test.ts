// Every action, run from its bundle, answers a bad input with one annotation naming the input,
// exit code 1, no stack trace, and no AWS or GitHub call (the endpoints point at a closed port,
// so any call would fail with a different message).
import { describe, expect, test } from 'vitest';
import { runAction } from '../harness/index.ts';

const closed = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'not-a-secret',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  GITHUB_API_URL: 'http://127.0.0.1:9',
  GITHUB_TOKEN: 'ghs_example',
};

const cases: Array<[string, Record<string, string>, string]> = [
  ['deploy', { 'task-definition-arn': 'web:7' }, 'service: is required'],
  [
    'deploy',
    { 'task-definition-arn': 'web:7', service: 'web', timeout: 'soon' },
    "timeout: must be a duration like 90s, 15m or 1h30m, got 'soon'",
  ],
  [
    'deploy',
    { 'task-definition-arn': 'web:7', service: 'web', 'wait-until': 'done' },
    "wait-until: must be one of none, ready, deployed, complete, got 'done'",
  ],
  [
    'layer-cache',
    { images: 'web:v1', concurrency: '0' },
    'concurrency: must be between 1 and 64, got 0',
  ],
  [
    'layer-cache',
    { images: 'web:v1', 'max-size': 'lots' },
    "max-size: must be a size like 300MB, 10GB or 512MiB, got 'lots'",
  ],
  [
    'deploy-budget',
    { budget: 'fast' },
    "budget: must be a duration like 90s, 15m or 1h30m, got 'fast'",
  ],
  [
    'ecr-scan',
    { repository: 'web', 'image-tag': 'v1', 'fail-on': 'severe' },
    "fail-on: must be one of none, critical, high, medium, low, informational, got 'severe'",
  ],
  [
    'ecr-scan',
    { repository: 'web', 'image-tag': 'v1', 'image-digest': `sha256:${'a'.repeat(64)}` },
    'image-tag, image-digest: give only one of image-tag or image-digest',
  ],
];

describe('a bad input stops the step before any call, in one line', () => {
  test.each(cases)('%s with %j', async (action, inputs, message) => {
    const result = await runAction(action, { inputs, env: closed });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([message]);
    expect(result.stdout).not.toMatch(/\n\s+at /);
    expect(result.stderr).toBe('');
  });
});
