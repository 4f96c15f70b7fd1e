import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { runAction } from '../../harness/index.ts';
import { closedPort, fixtureWorkspace } from './workspace.ts';

const ACTION = 'render-task-definition';
const WEB = { 'task-definition': 'deploy/fargate-web.json' };
const WORKER = { 'task-definition': 'deploy/worker.yaml' };
let workspace: ReturnType<typeof fixtureWorkspace>;
let env: Record<string, string>;

beforeAll(async () => {
  workspace = fixtureWorkspace();
  // Written here rather than kept as a fixture: the linter would refuse a broken YAML file.
  writeFileSync(
    path.join(workspace.dir, 'deploy/bad/broken.yaml'),
    'family: web\ncontainerDefinitions:\n  - name: web\n    image: acme/web:1\n   cpu: 256\n',
  );
  env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'example',
    AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}`,
  };
});
afterAll(() => workspace.cleanup());

const NOT_A_FARGATE_SIZE =
  'task definition is invalid: cpu/memory: memory 4096 does not fit cpu 256 on Fargate (use 512, 1024, 2048 MiB)';

// Each bad input fails the step with exactly one annotation, and that annotation says what to fix.
const CASES: Array<[string, Record<string, string>, string]> = [
  [
    'a missing file',
    { 'task-definition': 'deploy/td.json' },
    'task-definition: file not found: deploy/td.json',
  ],
  [
    'neither source',
    {},
    'task-definition or task-definition-family: one of these inputs is required',
  ],
  [
    'both sources',
    { ...WEB, 'task-definition-family': 'web' },
    'task-definition, task-definition-family: give only one of task-definition or task-definition-family',
  ],
  [
    'a bad boolean',
    { ...WEB, 'pin-image-digest': 'yes' },
    "pin-image-digest: must be true or false, got 'yes'",
  ],
  [
    'a bad KEY=VALUE line',
    { ...WORKER, 'environment-variables': 'LOG_LEVEL=debug\nDEBUG' },
    "environment-variables: line 2: expected KEY=VALUE, got a line with no '=' (the line before sets 'LOG_LEVEL': a value cannot span lines)",
  ],
  [
    'an unknown container',
    { ...WEB, 'container-name': 'api', image: 'acme/api:1' },
    "container-name: no container named 'api' in the task definition (containers: web, log-router)",
  ],
  [
    'a container setting without container-name on two containers',
    { ...WEB, 'docker-labels': 'team=payments' },
    'container-name: required when the task definition has 2 containers (web, log-router)',
  ],
  [
    'an unknown container in images',
    { ...WEB, images: 'web=acme/web:2\nrouter=acme/router:1' },
    "images: no container named 'router' in the task definition (containers: web, log-router)",
  ],
  [
    'a bad image reference',
    { ...WORKER, image: 'Web:1.0' },
    "image: 'Web:1.0' is not a valid image reference: invalid repository name 'Web' (lowercase letters, digits, . _ - and /)",
  ],
  ['a bad cpu/memory pair from inputs', { ...WEB, cpu: '256', memory: '4 GB' }, NOT_A_FARGATE_SIZE],
  [
    'an unknown key with a typo',
    { 'task-definition': 'deploy/bad/typo.json' },
    "task definition is invalid: containerDefinitions[web].portMapings: unknown key (did you mean 'portMappings'?)",
  ],
  [
    'a typo in a merge document',
    {
      ...WEB,
      merge:
        '{"containerDefinitions": [{"name": "web", "healthcheck": {"command": ["CMD", "true"]}}]}',
    },
    "task definition is invalid: containerDefinitions[web].healthcheck: unknown key (did you mean 'healthCheck'?)",
  ],
  [
    'invalid YAML',
    { 'task-definition': 'deploy/bad/broken.yaml' },
    'task-definition: deploy/bad/broken.yaml: invalid JSON/YAML at line 5, column 1: Sequence item without - indicator',
  ],
  [
    'duplicate containers',
    { 'task-definition': 'deploy/bad/duplicate-containers.json' },
    "task definition is invalid: containerDefinitions: duplicate container name 'web' (2 times)",
  ],
  [
    'Fargate without awsvpc',
    { 'task-definition': 'deploy/bad/bridge.json' },
    "task definition is invalid: networkMode: Fargate requires awsvpc, got 'bridge'",
  ],
  [
    'several problems at once',
    { 'task-definition': 'deploy/bad/several.json' },
    "task definition has 3 problems: containerDefinitions[web].image: 'acme/Web:1' is not a valid image reference: invalid repository name 'acme/Web' (lowercase letters, digits, . _ - and /); containerDefinitions[web].environment[2]: '2FA_SECRET' is not a valid variable name (letters, digits and underscores, not starting with a digit); cpu/memory: memory 4096 does not fit cpu 256 on Fargate (use 512, 1024, 2048 MiB)",
  ],
  [
    'bad command quoting',
    { ...WORKER, command: `sh -c 'node server.js` },
    'command: unterminated single quote (opened at character 7)',
  ],
  [
    'a secret from the wrong service',
    { ...WORKER, secrets: 'DB_PASSWORD=arn:aws:kms:us-east-1:123456789012:key/abc' },
    "secrets: line 1: the value of 'DB_PASSWORD' is not an SSM parameter ARN, a Secrets Manager secret ARN or a parameter name",
  ],
  [
    'an env file that is not an S3 ARN',
    { ...WORKER, 'env-files': 's3://acme-config/worker.env' },
    "env-files: 's3://acme-config/worker.env' is not the ARN of an S3 object ending in .env (arn:aws:s3:::bucket/path/app.env)",
  ],
  [
    'a log driver Fargate cannot use',
    { ...WORKER, 'log-configuration': 'logDriver: json-file' },
    "task definition is invalid: containerDefinitions[worker].logConfiguration.logDriver: Fargate supports awslogs, splunk, awsfirelens, not 'json-file'",
  ],
  [
    'a cpu that is not an amount',
    { ...WORKER, cpu: '2 cores' },
    "cpu: '2 cores' is not an amount (use CPU units like 1024 or '1 vCPU')",
  ],
  [
    'an unknown family format',
    { 'task-definition-family': 'arn:aws:ecs:us-east-1:123456789012:service/web' },
    "task-definition-family: 'arn:aws:ecs:us-east-1:123456789012:service/web' is not a family, family:revision or task definition ARN",
  ],
  [
    'digest pinning of a Docker Hub image',
    { ...WORKER, image: 'nginx:1.27', 'pin-image-digest': 'true' },
    'pin-image-digest: nginx:1.27 is not in Amazon ECR, so its tag cannot be pinned to a digest (pin it yourself as name@sha256:…, or set pin-image-digest: false)',
  ],
  [
    'a bad aws-max-attempts',
    { ...WEB, 'aws-max-attempts': 'many' },
    "aws-max-attempts: must be a whole number from 1 to 20, got 'many'",
  ],
];

describe('render-task-definition refuses bad inputs in one line', () => {
  test.concurrent.for(CASES)('%s', async ([, inputs, message], { expect }) => {
    const result = await runAction(ACTION, { workspace: workspace.dir, inputs, env });
    expect(result.errors).toEqual([message]);
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toEqual({});
  });
});
