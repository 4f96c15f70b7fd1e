import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { getInputs } from '../../../src/actions/run-task/inputs.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';

const workspace = mkdtempSync(path.join(tmpdir(), 'run-task-inputs-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));
writeFileSync(
  path.join(workspace, 'td.json'),
  JSON.stringify({
    family: 'web',
    networkMode: 'awsvpc',
    containerDefinitions: [
      { name: 'log-router', image: 'fluent-bit:2', essential: false },
      { name: 'web', image: 'web:1' },
    ],
  }),
);

const base = { 'task-definition-arn': 'web', service: 'web' };
const read = (values: Record<string, string>) =>
  getInputs(mapInputs({ ...base, ...values }), workspace);

describe('run-task inputs', () => {
  test('defaults: cluster default, one task, 30m, logs on, stop on cancel, 5s polls', () => {
    expect(read({})).toEqual({
      taskDefinition: { kind: 'arn', ref: 'web' },
      cluster: 'default',
      service: 'web',
      network: {},
      environment: [],
      count: 1,
      timeoutMs: 1_800_000,
      logs: true,
      onCancel: 'rollback',
      pollIntervalMs: 5000,
      aws: {},
    });
  });

  test('reads the command either way, the environment lines and the network overrides', () => {
    const inputs = read({
      command: `sh -c 'npm run migrate && echo "done"'`,
      'environment-variables': 'LOG_LEVEL=debug\n# a comment\nDSN=postgres://u@db/app?ssl=true',
      subnets: 'subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002\nsubnet-0a1b2c3d4e5f60003',
      'security-groups': 'sg-0a1b2c3d4e5f60001',
      'assign-public-ip': 'ENABLED',
      'on-cancel': 'leave',
      count: '3',
      timeout: '1h30m',
      logs: 'false',
    });
    expect(inputs).toMatchObject({
      command: ['sh', '-c', 'npm run migrate && echo "done"'],
      environment: [
        ['LOG_LEVEL', 'debug'],
        ['DSN', 'postgres://u@db/app?ssl=true'],
      ],
      network: {
        subnets: [
          'subnet-0a1b2c3d4e5f60001',
          'subnet-0a1b2c3d4e5f60002',
          'subnet-0a1b2c3d4e5f60003',
        ],
        securityGroups: ['sg-0a1b2c3d4e5f60001'],
        assignPublicIp: 'ENABLED',
      },
      onCancel: 'leave',
      count: 3,
      timeoutMs: 5_400_000,
      logs: false,
    });
    expect(read({ command: '["npm", "run", "migrate"]' }).command).toEqual([
      'npm',
      'run',
      'migrate',
    ]);
  });

  test('a task definition file is read and its container checked before anything reaches AWS', () => {
    const inputs = read({
      'task-definition-arn': '',
      'task-definition': 'td.json',
      'container-name': 'web',
    });
    expect(inputs.taskDefinition).toMatchObject({
      kind: 'file',
      file: { request: { family: 'web' } },
    });
  });

  test.each<[string, Record<string, string>, string]>([
    [
      'neither task definition input',
      { 'task-definition-arn': '' },
      'task-definition or task-definition-arn: one of these inputs is required',
    ],
    [
      'both task definition inputs',
      { 'task-definition': 'td.json' },
      'task-definition, task-definition-arn: give only one of task-definition or task-definition-arn',
    ],
    [
      'a malformed task definition ARN',
      { 'task-definition-arn': 'arn:aws:ecs:task/web' },
      "task-definition-arn: 'arn:aws:ecs:task/web' is not a task definition ARN, family:revision or family",
    ],
    [
      'no service and no subnets',
      { service: '' },
      'subnets: is required when no service is given to copy the network configuration from (give subnets or service)',
    ],
    [
      'a bad subnet id',
      { subnets: 'subnet-1' },
      "subnets: 'subnet-1' is not a subnet id (subnet-0123456789abcdef0)",
    ],
    [
      'a security group name instead of its id',
      { 'security-groups': 'default' },
      "security-groups: 'default' is not a security group id (sg-0123456789abcdef0)",
    ],
    [
      'a boolean public IP',
      { 'assign-public-ip': 'true' },
      "assign-public-ip: must be one of ENABLED, DISABLED, got 'true'",
    ],
    [
      'a container the file does not have',
      { 'task-definition-arn': '', 'task-definition': 'td.json', 'container-name': 'app' },
      "container-name: no container 'app' in td.json (its containers: log-router, web)",
    ],
    [
      'an unterminated quote',
      { command: "echo 'hi" },
      'command: unterminated single quote (opened at character 6)',
    ],
    ['an empty JSON command', { command: '[]' }, 'command: the JSON array is empty'],
    [
      'an environment name with a dash',
      { 'environment-variables': 'LOG-LEVEL=debug' },
      "environment-variables: line 1: invalid key 'LOG-LEVEL' (letters, digits and underscores, not starting with a digit)",
    ],
    [
      'overrides larger than ECS takes',
      { 'environment-variables': `BIG=${'x'.repeat(9000)}` },
      'environment-variables: the command and environment overrides come to more than the 8192 characters ECS accepts: put them in the task definition',
    ],
    ['eleven tasks', { count: '11' }, 'count: must be between 1 and 10, got 11'],
    [
      'a bare number timeout',
      { timeout: '600' },
      "timeout: must be a duration like 90s, 15m or 1h30m, got '600'",
    ],
    [
      'a poll interval past the timeout',
      { timeout: '1m', 'poll-interval': '2m' },
      'poll-interval: must be shorter than the timeout (1m)',
    ],
    [
      'an unknown on-cancel',
      { 'on-cancel': 'stop' },
      "on-cancel: must be one of rollback, leave, got 'stop'",
    ],
    ['logs that is not a boolean', { logs: 'yes' }, "logs: must be true or false, got 'yes'"],
    [
      'a cluster with spaces',
      { cluster: 'my cluster' },
      "cluster: 'my cluster' is not a cluster name or ARN",
    ],
  ])('refuses %s in one line naming the input', (_, values, message) => {
    expect(() => read(values)).toThrow(message);
  });
});
