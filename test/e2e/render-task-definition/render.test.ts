import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runAction } from '../../harness/index.ts';
import { closedPort, fixtureWorkspace } from './workspace.ts';

const ACTION = 'render-task-definition';
const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
let workspace: ReturnType<typeof fixtureWorkspace>;
let env: Record<string, string>;

beforeAll(async () => {
  workspace = fixtureWorkspace();
  // Any AWS call would fail against this endpoint: a file render must make none.
  env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'example',
    AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}`,
  };
});
afterAll(() => workspace.cleanup());

function render(inputs: Record<string, string>) {
  return runAction(ACTION, { workspace: workspace.dir, inputs, env });
}

interface RenderedContainer {
  name: string;
  image: string;
  [key: string]: unknown;
}
interface RenderedDefinition {
  containerDefinitions: RenderedContainer[];
  [key: string]: unknown;
}

function readRendered(file: string | undefined): RenderedDefinition {
  return JSON.parse(readFileSync(file!, 'utf8'));
}

describe('render-task-definition, built bundle, no AWS', () => {
  test('a multi-container Fargate definition gets a new image, environment, secrets, labels, logs and command', async () => {
    const result = await render({
      'task-definition': 'deploy/fargate-web.json',
      'container-name': 'web',
      image: `${ECR}/web:1.1.0`,
      'environment-variables': 'LOG_LEVEL=debug\nFEATURE_FLAGS=a,b',
      secrets: [
        'DB_PASSWORD=arn:aws:secretsmanager:us-east-1:123456789012:secret:web/db-AbCdEf',
        'API_KEY=/web/api-key',
      ].join('\n'),
      'env-files': 'arn:aws:s3:::acme-config/web/prod.env',
      'docker-labels': 'com.acme.commit=0123456\ncom.acme.team=payments',
      'log-configuration': '{"options": {"awslogs-stream-prefix": "web-v2"}}',
      command: `node --enable-source-maps 'dist/server.js'`,
    });
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);

    const file = result.outputs['task-definition']!;
    expect(path.dirname(path.dirname(file))).toBe(result.runnerTemp);
    expect(path.basename(file)).toBe('web.json');
    expect(result.outputs.family).toBe('web');
    expect(JSON.parse(result.outputs.images!)).toEqual({
      web: `${ECR}/web:1.1.0`,
      'log-router': 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
    });

    const rendered = readRendered(file);
    expect(rendered).not.toHaveProperty('taskDefinitionArn');
    expect(rendered).not.toHaveProperty('revision');
    expect(rendered).not.toHaveProperty('compatibilities');
    const [web, router] = rendered.containerDefinitions;
    expect(web).toEqual({
      name: 'web',
      image: `${ECR}/web:1.1.0`,
      essential: true,
      portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
      environment: [
        { name: 'NODE_ENV', value: 'production' },
        { name: 'LOG_LEVEL', value: 'debug' },
        { name: 'FEATURE_FLAGS', value: 'a,b' },
      ],
      environmentFiles: [{ value: 'arn:aws:s3:::acme-config/web/prod.env', type: 's3' }],
      secrets: [
        {
          name: 'DB_PASSWORD',
          valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:web/db-AbCdEf',
        },
        { name: 'API_KEY', valueFrom: '/web/api-key' },
      ],
      dockerLabels: { 'com.acme.commit': '0123456', 'com.acme.team': 'payments' },
      command: ['node', '--enable-source-maps', 'dist/server.js'],
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': '/ecs/web',
          'awslogs-region': 'us-east-1',
          'awslogs-stream-prefix': 'web-v2',
        },
      },
    });
    expect(router!.image).toBe('public.ecr.aws/aws-observability/aws-for-fluent-bit:stable');

    expect(result.summary).toContain(
      '| web | `123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.1.0` | yes |',
    );
    expect(result.summary).toContain(
      '| log-router | `public.ecr.aws/aws-observability/aws-for-fluent-bit:stable` | no |',
    );
    expect(result.summary).toContain(`- containerDefinitions[web].image: ${ECR}/web:1.0.0`);
    expect(result.summary).toContain(`+ containerDefinitions[web].image: ${ECR}/web:1.1.0`);
    expect(result.summary).toContain(
      '! containerDefinitions[web].environment[LOG_LEVEL] (changed)',
    );
    expect(result.summary).not.toContain('debug');
  });

  test('a YAML definition comes out as the JSON ECS registers, sizes in units', async () => {
    const result = await render({
      'task-definition': 'deploy/worker.yaml',
      image: `${ECR}/worker:2.4.0`,
      command: '["node", "dist/worker.js", "--queue=jobs"]',
    });
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    const rendered = readRendered(result.outputs['task-definition']);
    expect(rendered).toMatchObject({ family: 'worker', cpu: '1024', memory: '2048' });
    expect(rendered.containerDefinitions[0]!.environment).toEqual([
      { name: 'CONCURRENCY', value: '4' },
      { name: 'QUEUE', value: 'jobs' },
    ]);
    expect(rendered.containerDefinitions[0]!.command).toEqual([
      'node',
      'dist/worker.js',
      '--queue=jobs',
    ]);
    expect(JSON.parse(result.outputs.images!)).toEqual({ worker: `${ECR}/worker:2.4.0` });
  });

  test('a merge file adds a container, a health check and tags; overrides still apply on top', async () => {
    const result = await render({
      'task-definition': 'deploy/fargate-web.json',
      merge: 'deploy/merge.yaml',
      images: `web=${ECR}/web:1.2.0\nxray=public.ecr.aws/xray/aws-xray-daemon:3.3.13`,
      memory: '3 GB',
      family: 'web-prod',
    });
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    const rendered = readRendered(result.outputs['task-definition']);
    expect(rendered).toMatchObject({
      family: 'web-prod',
      cpu: '1024',
      memory: '3072',
      ephemeralStorage: { sizeInGiB: 40 },
      tags: [{ key: 'team', value: 'payments' }],
    });
    expect(rendered.containerDefinitions.map((c: { name: string }) => c.name)).toEqual([
      'web',
      'log-router',
      'xray',
    ]);
    expect((rendered.containerDefinitions[0]!.healthCheck as { retries: number }).retries).toBe(3);
    expect(rendered.containerDefinitions[0]!.environment).toContainEqual({
      name: 'LOG_LEVEL',
      value: 'warn',
    });
    expect(result.outputs.family).toBe('web-prod');
    expect(JSON.parse(result.outputs.images!)).toMatchObject({
      web: `${ECR}/web:1.2.0`,
      xray: 'public.ecr.aws/xray/aws-xray-daemon:3.3.13',
    });
    expect(result.summary).toContain(
      '+ containerDefinitions[xray].image: public.ecr.aws/xray/aws-xray-daemon:3.3.13',
    );
  });

  test('an inline merge with a log configuration for a new driver', async () => {
    const result = await render({
      'task-definition': 'deploy/worker.yaml',
      merge: '{"runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}}',
      'log-configuration': [
        'logDriver: awsfirelens',
        'options:',
        '  Name: cloudwatch_logs',
        '  region: us-east-1',
        'secretOptions:',
        '  - name: apikey',
        '    valueFrom: /worker/log-key',
      ].join('\n'),
    });
    expect(result.errors).toEqual([]);
    const rendered = readRendered(result.outputs['task-definition']);
    expect(rendered.runtimePlatform).toEqual({
      cpuArchitecture: 'ARM64',
      operatingSystemFamily: 'LINUX',
    });
    expect(rendered.containerDefinitions[0]!.logConfiguration).toEqual({
      logDriver: 'awsfirelens',
      options: { Name: 'cloudwatch_logs', region: 'us-east-1' },
      secretOptions: [{ name: 'apikey', valueFrom: '/worker/log-key' }],
    });
  });

  test('reading a family does call ECS: against a closed port it fails in one line', async () => {
    const result = await runAction(ACTION, {
      workspace: workspace.dir,
      inputs: { 'task-definition-family': 'web', 'aws-max-attempts': '1' },
      env,
    });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(
      /^DescribeTaskDefinition \(task definition web\): connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
    );
  });
});
