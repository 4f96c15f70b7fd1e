import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { getInputs } from '../../../src/actions/render-task-definition/inputs.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';

let workspace: string;
const FILE = { 'task-definition': 'deploy/td.json' };

beforeAll(() => {
  workspace = mkdtempSync(path.join(tmpdir(), 'render-inputs-'));
  mkdirSync(path.join(workspace, 'deploy'));
  writeFileSync(
    path.join(workspace, 'deploy/td.json'),
    JSON.stringify({ family: 'web', containerDefinitions: [{ name: 'web', image: 'nginx' }] }),
  );
  writeFileSync(path.join(workspace, 'deploy/broken.yaml'), 'family: web\ncpu: 256\ncpu: 512\n');
  writeFileSync(path.join(workspace, 'deploy/list.yaml'), '- a\n- b\n');
  writeFileSync(
    path.join(workspace, 'deploy/described.json'),
    JSON.stringify({
      taskDefinition: { family: 'api', revision: 3, containerDefinitions: [] },
      tags: [{ key: 'team', value: 'core' }],
    }),
  );
  writeFileSync(
    path.join(workspace, 'deploy/logs.yml'),
    'logDriver: awslogs\noptions:\n  awslogs-group: /ecs/web\n',
  );
});

function read(values: Record<string, string>) {
  return getInputs(mapInputs(values), workspace);
}

describe('choosing the source', () => {
  test('a file is read and parsed before anything else happens', () => {
    const inputs = read(FILE);
    expect(inputs.source).toEqual({
      kind: 'file',
      path: 'deploy/td.json',
      definition: { family: 'web', containerDefinitions: [{ name: 'web', image: 'nginx' }] },
    });
  });

  test('the output of aws ecs describe-task-definition is read as the definition it holds', () => {
    const inputs = read({ 'task-definition': 'deploy/described.json' });
    expect(inputs.source).toMatchObject({
      definition: { family: 'api', revision: 3, tags: [{ key: 'team', value: 'core' }] },
    });
  });

  test.each([
    ['web'],
    ['web:12'],
    ['arn:aws:ecs:us-east-1:123456789012:task-definition/web:12'],
    ['arn:aws:ecs:eu-west-1:123456789012:task-definition/web'],
  ])('the family reference %s is accepted', (reference) => {
    expect(read({ 'task-definition-family': reference }).source).toEqual({
      kind: 'family',
      reference,
    });
  });

  test.each([
    [{}, 'task-definition or task-definition-family: one of these inputs is required'],
    [
      { ...FILE, 'task-definition-family': 'web' },
      'task-definition, task-definition-family: give only one of task-definition or task-definition-family',
    ],
    [
      { 'task-definition': 'deploy/missing.json' },
      'task-definition: file not found: deploy/missing.json',
    ],
    [{ 'task-definition': 'deploy' }, 'task-definition: not a file: deploy'],
    [
      { 'task-definition': 'deploy/broken.yaml' },
      'task-definition: deploy/broken.yaml: invalid JSON/YAML at line 3, column 1: Map keys must be unique',
    ],
    [
      { 'task-definition': 'deploy/list.yaml' },
      'task-definition: deploy/list.yaml: must be a JSON/YAML mapping (an object with keys)',
    ],
    [
      { 'task-definition-family': 'web:0' },
      "task-definition-family: 'web:0' is not a family, family:revision or task definition ARN",
    ],
    [
      { 'task-definition-family': 'web app' },
      "task-definition-family: 'web app' is not a family, family:revision or task definition ARN",
    ],
  ])('%j is refused', (values, message) => {
    expect(() => read(values)).toThrow(message);
  });
});

describe('each input on its own', () => {
  test('defaults: nothing changes, no digest is pinned and no value is shown', () => {
    expect(read(FILE)).toEqual({
      source: expect.objectContaining({ kind: 'file' }),
      images: [],
      environment: [],
      envFiles: [],
      secrets: [],
      dockerLabels: [],
      pinImageDigest: false,
      showValues: false,
      aws: {},
    });
  });

  test.each<[string, Record<string, string>, Record<string, unknown>]>([
    ['container-name', { 'container-name': 'web' }, { containerName: 'web' }],
    ['image', { image: 'ghcr.io/acme/web:1.2.3' }, { image: 'ghcr.io/acme/web:1.2.3' }],
    [
      'images',
      { images: 'web=acme/web:2\n# the sidecar\nproxy = envoyproxy/envoy:v1.30' },
      {
        images: [
          ['web', 'acme/web:2'],
          ['proxy', 'envoyproxy/envoy:v1.30'],
        ],
      },
    ],
    [
      'environment-variables',
      { 'environment-variables': 'LOG_LEVEL=debug\nDSN=postgres://u@h/db?x=1' },
      {
        environment: [
          ['LOG_LEVEL', 'debug'],
          ['DSN', 'postgres://u@h/db?x=1'],
        ],
      },
    ],
    [
      'env-files',
      { 'env-files': 'arn:aws:s3:::acme-config/web/prod.env\narn:aws:s3:::acme-config/shared.env' },
      {
        envFiles: ['arn:aws:s3:::acme-config/web/prod.env', 'arn:aws:s3:::acme-config/shared.env'],
      },
    ],
    [
      'secrets',
      {
        secrets: [
          'DB_PASSWORD=arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::',
          'API_KEY=arn:aws:ssm:us-east-1:123456789012:parameter/web/api-key',
          'TOKEN=/web/token',
        ].join('\n'),
      },
      {
        secrets: [
          [
            'DB_PASSWORD',
            'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::',
          ],
          ['API_KEY', 'arn:aws:ssm:us-east-1:123456789012:parameter/web/api-key'],
          ['TOKEN', '/web/token'],
        ],
      },
    ],
    [
      'log-configuration inline',
      {
        'log-configuration':
          '{"logDriver": "awslogs", "options": {"awslogs-stream-prefix": "api", "mode": "non-blocking"}}',
      },
      {
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-stream-prefix': 'api', mode: 'non-blocking' },
        },
      },
    ],
    [
      'log-configuration from a file',
      { 'log-configuration': 'deploy/logs.yml' },
      { logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web' } } },
    ],
    [
      'docker-labels',
      { 'docker-labels': 'com.acme.team=payments\ncom.acme.commit=abc123' },
      {
        dockerLabels: [
          ['com.acme.team', 'payments'],
          ['com.acme.commit', 'abc123'],
        ],
      },
    ],
    [
      'command as a JSON array',
      { command: '["node", "server.js"]' },
      { command: ['node', 'server.js'] },
    ],
    [
      'command as a shell-like string',
      { command: `sh -c 'echo "ready" && exec node server.js'` },
      { command: ['sh', '-c', 'echo "ready" && exec node server.js'] },
    ],
    ['cpu in units', { cpu: '2048' }, { cpu: 2048 }],
    ['cpu in vCPU', { cpu: '0.5 vCPU' }, { cpu: 512 }],
    ['memory in MiB', { memory: '3072' }, { memory: 3072 }],
    ['memory in GB', { memory: '4 GB' }, { memory: 4096 }],
    ['family', { family: 'web-staging' }, { family: 'web-staging' }],
    [
      'task-role-arn',
      { 'task-role-arn': 'arn:aws:iam::123456789012:role/web-task' },
      { taskRoleArn: 'arn:aws:iam::123456789012:role/web-task' },
    ],
    ['task-role-arn as a role name', { 'task-role-arn': 'web-task' }, { taskRoleArn: 'web-task' }],
    [
      'execution-role-arn',
      { 'execution-role-arn': 'arn:aws:iam::123456789012:role/service-role/exec' },
      { executionRoleArn: 'arn:aws:iam::123456789012:role/service-role/exec' },
    ],
    [
      'merge inline',
      { merge: 'ephemeralStorage: {sizeInGiB: 30}' },
      { merge: { ephemeralStorage: { sizeInGiB: 30 } } },
    ],
    ['pin-image-digest', { 'pin-image-digest': 'true' }, { pinImageDigest: true }],
    ['aws-region', { 'aws-region': 'eu-west-1' }, { aws: { region: 'eu-west-1' } }],
    ['aws-max-attempts', { 'aws-max-attempts': '3' }, { aws: { maxAttempts: 3 } }],
  ])('%s is read', (_, values, expected) => {
    expect(read({ ...FILE, ...values })).toMatchObject(expected);
  });

  test.each<[string, Record<string, string>, string | RegExp]>([
    [
      'a bad boolean',
      { 'pin-image-digest': 'yes' },
      "pin-image-digest: must be true or false, got 'yes'",
    ],
    [
      'an invalid image',
      { image: 'Acme/Web:1' },
      /^image: 'Acme\/Web:1' is not a valid image reference: invalid repository name/,
    ],
    [
      'an image with spaces',
      { image: 'acme/web 1' },
      "image: 'acme/web 1' is not a valid image reference: an image reference has no spaces and is not empty",
    ],
    [
      'an images line without =',
      { images: 'web acme/web:2' },
      "images: line 1: expected KEY=VALUE, got a line with no '='",
    ],
    [
      'an images line with an empty image',
      { images: 'web=' },
      "images: line 1: empty value for 'web'",
    ],
    [
      'an invalid image in images',
      { images: 'web=acme/web:2\nproxy=envoy:Bad!' },
      "images: container 'proxy': 'envoy:Bad!' is not a valid image reference: invalid tag 'Bad!'",
    ],
    [
      'image and images naming the same container',
      { 'container-name': 'web', image: 'acme/web:2', images: 'web=acme/web:3' },
      "image, images: both set the image of container 'web': give it once",
    ],
    [
      'a bad KEY=VALUE line',
      { 'environment-variables': 'LOG_LEVEL=debug\nverbose' },
      "environment-variables: line 2: expected KEY=VALUE, got a line with no '=' (the line before sets 'LOG_LEVEL': a value cannot span lines)",
    ],
    [
      'an invalid variable name',
      { 'environment-variables': '1PASSWORD=x' },
      "environment-variables: line 1: invalid key '1PASSWORD' (letters, digits and underscores, not starting with a digit)",
    ],
    [
      'a repeated variable',
      { 'environment-variables': 'A=1\nA=2' },
      "environment-variables: line 2: duplicate key 'A'",
    ],
    [
      'an env file that is not an S3 ARN',
      { 'env-files': 's3://acme/prod.env' },
      "env-files: 's3://acme/prod.env' is not the ARN of an S3 object ending in .env (arn:aws:s3:::bucket/path/app.env)",
    ],
    [
      'an env file without .env',
      { 'env-files': 'arn:aws:s3:::acme/prod.txt' },
      "env-files: 'arn:aws:s3:::acme/prod.txt' is not the ARN of an S3 object ending in .env (arn:aws:s3:::bucket/path/app.env)",
    ],
    [
      'a secret from another service',
      { secrets: 'DB=arn:aws:s3:::acme/db' },
      "secrets: line 1: the value of 'DB' is not an SSM parameter ARN, a Secrets Manager secret ARN or a parameter name",
    ],
    ['a secret with no source', { secrets: 'DB=' }, "secrets: line 1: empty value for 'DB'"],
    [
      'a log configuration with a typo',
      { 'log-configuration': '{"logDriver": "awslogs", "option": {}}' },
      "log-configuration: option: unknown key (did you mean 'options'?)",
    ],
    [
      'a log configuration with an unknown driver',
      { 'log-configuration': 'logDriver: cloudwatch' },
      /^log-configuration: logDriver: string "cloudwatch" is not one of awsfirelens, awslogs/,
    ],
    [
      'a log configuration that is a list',
      { 'log-configuration': '[awslogs]' },
      'log-configuration: must be a JSON/YAML mapping (an object with keys)',
    ],
    [
      'a docker label without =',
      { 'docker-labels': 'team' },
      "docker-labels: line 1: expected KEY=VALUE, got a line with no '='",
    ],
    [
      'a command with an open quote',
      { command: 'sh -c "echo hi' },
      'command: unterminated double quote (opened at character 7)',
    ],
    [
      'a command that is not a list of strings',
      { command: '["sleep", 10]' },
      'command: a JSON command must be an array of strings, like ["npm", "start"]',
    ],
    ['a command with broken JSON', { command: '["sleep",' }, /^command: invalid JSON array: /],
    [
      'a cpu that is not an amount',
      { cpu: 'two cores' },
      "cpu: 'two cores' is not an amount (use CPU units like 1024 or '1 vCPU')",
    ],
    [
      'a memory that is not an amount',
      { memory: '2 TB' },
      "memory: '2 TB' is not an amount (use MiB like 2048 or '2 GB')",
    ],
    [
      'a family with a space',
      { family: 'web app' },
      "family: 'web app' is not a valid family name (up to 255 letters, digits, hyphens and underscores)",
    ],
    [
      'an execution role name',
      { 'execution-role-arn': 'exec' },
      "execution-role-arn: 'exec' is not an IAM role ARN (arn:aws:iam::123456789012:role/name)",
    ],
    [
      'a task role ARN of a user',
      { 'task-role-arn': 'arn:aws:iam::123456789012:user/bob' },
      "task-role-arn: 'arn:aws:iam::123456789012:user/bob' is not an IAM role ARN or role name (arn:aws:iam::123456789012:role/name)",
    ],
    [
      'a merge that is not a mapping',
      { merge: '[1, 2]' },
      'merge: must be a JSON/YAML mapping (an object with keys)',
    ],
    [
      'a merge file that is missing',
      { merge: 'deploy/prod.yaml' },
      'merge: file not found: deploy/prod.yaml',
    ],
    [
      'a bad aws-max-attempts',
      { 'aws-max-attempts': '0' },
      "aws-max-attempts: must be a whole number from 1 to 20, got '0'",
    ],
  ])('%s is refused with one line', (_, values, message) => {
    expect(() => read({ ...FILE, ...values })).toThrow(message);
  });
});
