import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  defaultApplicationName,
  defaultDeploymentGroupName,
  getInputs,
} from '../../../src/actions/deploy/inputs.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/deploy');
const workspace = mkdtempSync(path.join(tmpdir(), 'deploy-inputs-'));
copyFileSync(path.join(fixtures, 'task-definition.json'), path.join(workspace, 'td.json'));
copyFileSync(path.join(fixtures, 'appspec.yaml'), path.join(workspace, 'appspec.yaml'));
writeFileSync(path.join(workspace, 'no-family.json'), '{"containerDefinitions": [{"name": "a"}]}');
writeFileSync(
  path.join(workspace, 'described.json'),
  JSON.stringify({
    taskDefinition: {
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
      family: 'web',
      revision: 7,
      status: 'ACTIVE',
      registeredAt: '2025-01-01T00:00:00Z',
      containerDefinitions: [{ name: 'web', image: 'web:1' }],
    },
    tags: [{ key: 'app', value: 'web' }],
  }),
);
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const base = { 'task-definition': 'td.json', service: 'web', 'aws-region': 'us-east-1' };
const read = (values: Record<string, string>) =>
  getInputs(mapInputs({ ...base, ...values }), workspace);

describe('deploy inputs', () => {
  test('defaults: cluster default, wait until deployed, 30m timeout with rollback, 5s polls', () => {
    const inputs = read({});
    expect(inputs).toMatchObject({
      cluster: 'default',
      service: 'web',
      waitUntil: 'deployed',
      timeoutMs: 1_800_000,
      rollbackOnTimeout: true,
      pollIntervalMs: 5000,
      forceNewDeployment: false,
      waitForActive: false,
    });
    expect(inputs.taskDefinition.kind).toBe('file');
    expect(inputs.testGate).toBeUndefined();
  });

  test('a file saved from describe-task-definition loses its read-only fields and keeps its tags', () => {
    const inputs = read({ 'task-definition': 'described.json' });
    if (inputs.taskDefinition.kind !== 'file') throw new Error('expected a file');
    const request = inputs.taskDefinition.file.request as unknown as Record<string, unknown>;
    expect(request.family).toBe('web');
    expect(request).not.toHaveProperty('taskDefinitionArn');
    expect(request).not.toHaveProperty('revision');
    expect(request).not.toHaveProperty('registeredAt');
    expect(request.tags).toEqual([{ key: 'app', value: 'web' }]);
  });

  test('hooks become pairs, in the order given', () => {
    const inputs = read({
      hooks:
        'AfterAllowTestTraffic=smoke\nBeforeAllowTraffic=arn:aws:lambda:us-east-1:123456789012:function:gate',
    });
    expect(inputs.codeDeploy.hooks).toEqual([
      ['AfterAllowTestTraffic', 'smoke'],
      ['BeforeAllowTraffic', 'arn:aws:lambda:us-east-1:123456789012:function:gate'],
    ]);
  });

  test('the test gate gets its defaults when test-url is set', () => {
    expect(
      read({ 'test-url': 'http://127.0.0.1:8081/health', 'test-expect-status': '200, 204' })
        .testGate,
    ).toEqual({
      url: 'http://127.0.0.1:8081/health',
      expectStatus: [200, 204],
      requests: 10,
      timeoutMs: 10_000,
    });
  });

  test.each([
    [
      { 'task-definition': '' },
      'task-definition or task-definition-arn: one of these inputs is required',
    ],
    [
      { 'task-definition-arn': 'web:3' },
      'task-definition, task-definition-arn: give only one of task-definition or task-definition-arn',
    ],
    [
      { 'task-definition': '', 'task-definition-arn': 'web:three' },
      "task-definition-arn: 'web:three' is not a task definition ARN, family:revision or family",
    ],
    [{ 'task-definition': 'missing.json' }, 'task-definition: file not found: missing.json'],
    [{ 'task-definition': 'no-family.json' }, 'has no family'],
    [{ service: '' }, 'service: is required'],
    [
      { 'wait-until': 'stable' },
      "wait-until: must be one of none, ready, deployed, complete, got 'stable'",
    ],
    [{ timeout: '30' }, "timeout: must be a duration like 90s, 15m or 1h30m, got '30'"],
    [
      { 'poll-interval': '10m', timeout: '5m' },
      'poll-interval: must be shorter than the timeout (5m)',
    ],
    [
      { hooks: 'BeforeTraffic=fn' },
      "hooks: unknown hook 'BeforeTraffic' (ECS hooks are BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic, AfterAllowTraffic)",
    ],
    [
      { hooks: 'BeforeInstall=not a function' },
      "hooks: BeforeInstall: 'not a function' is not a Lambda function name or ARN",
    ],
    [{ hooks: 'BeforeInstall=a\nBeforeInstall=b' }, "hooks: line 2: duplicate key 'BeforeInstall'"],
    [
      { appspec: 'appspec.yaml', hooks: 'BeforeInstall=a' },
      'hooks: the appspec file appspec.yaml has its own Hooks: give hooks in one place',
    ],
    [{ 'container-port': '70000' }, 'container-port: must be between 1 and 65535, got 70000'],
    [
      { 'test-url': 'ftp://host/x' },
      "test-url: must be an http:// or https:// URL, got 'ftp://host/x'",
    ],
    [
      { 'test-url': 'http://host/x', 'wait-until': 'none' },
      'test-url: the test-traffic gate needs wait-until ready, deployed or complete, not none',
    ],
    [
      { 'test-url': 'http://host/x', 'test-expect-status': '20x' },
      "test-expect-status: must be a whole number, got '20x'",
    ],
    [{ 'rollback-on-timeout': 'yes' }, "rollback-on-timeout: must be true or false, got 'yes'"],
    [{ 'desired-count': '-1' }, 'desired-count: must be between 0 and 5000, got -1'],
    [
      { 'aws-max-attempts': '50' },
      "aws-max-attempts: must be a whole number from 1 to 20, got '50'",
    ],
  ])('%o is refused: %s', (values, message) => {
    expect(() => read(values)).toThrow(message);
  });

  test('CodeDeploy names default from the cluster and service names, ARNs included', () => {
    expect(defaultApplicationName('arn:aws:ecs:us-east-1:123456789012:cluster/prod', 'web')).toBe(
      'AppECS-prod-web',
    );
    expect(
      defaultDeploymentGroupName('prod', 'arn:aws:ecs:us-east-1:123456789012:service/prod/web'),
    ).toBe('DgpECS-prod-web');
  });
});
