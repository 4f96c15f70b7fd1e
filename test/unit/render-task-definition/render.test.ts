import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { deepMerge } from '../../../src/actions/render-task-definition/merge.ts';
import {
  imagesOf,
  type RenderSpec,
  renderTaskDefinition,
} from '../../../src/actions/render-task-definition/render.ts';
import { repoRoot } from '../../harness/index.ts';

type Doc = Record<string, unknown>;
type Container = Record<string, unknown>;

function fixture(name: string): Doc {
  return JSON.parse(
    readFileSync(path.join(repoRoot, 'test/fixtures/render-task-definition', name), 'utf8'),
  );
}

function spec(overrides: Partial<RenderSpec> = {}): RenderSpec {
  return { images: [], environment: [], envFiles: [], secrets: [], dockerLabels: [], ...overrides };
}

const containers = (d: Doc) => d.containerDefinitions as Container[];
const container = (d: Doc, name: string) => containers(d).find((c) => c.name === name)!;

describe('rendering a task definition', () => {
  test('the fields RegisterTaskDefinition refuses are stripped, the rest kept as it was', () => {
    const base = fixture('fargate-web.json');
    const rendered = renderTaskDefinition(base, spec());
    for (const field of [
      'taskDefinitionArn',
      'revision',
      'status',
      'registeredAt',
      'registeredBy',
      'requiresAttributes',
      'compatibilities',
    ]) {
      expect(rendered).not.toHaveProperty(field);
    }
    expect(rendered.containerDefinitions).toEqual(base.containerDefinitions);
    expect(base).toHaveProperty('revision', 41);
  });

  test('image applies to the named container only', () => {
    const rendered = renderTaskDefinition(
      fixture('fargate-web.json'),
      spec({
        containerName: 'web',
        image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.1.0',
      }),
    );
    expect(imagesOf(rendered)).toEqual({
      web: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.1.0',
      'log-router': 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
    });
  });

  test('images sets several containers at once, without container-name', () => {
    const rendered = renderTaskDefinition(
      fixture('fargate-web.json'),
      spec({
        images: [
          ['web', 'acme/web:2'],
          ['log-router', 'acme/fluent-bit:3'],
        ],
      }),
    );
    expect(imagesOf(rendered)).toEqual({ web: 'acme/web:2', 'log-router': 'acme/fluent-bit:3' });
  });

  test('container-name may be omitted when there is one container', () => {
    const base = { family: 'job', containerDefinitions: [{ name: 'job', image: 'acme/job:1' }] };
    expect(imagesOf(renderTaskDefinition(base, spec({ image: 'acme/job:2' })))).toEqual({
      job: 'acme/job:2',
    });
  });

  test.each<[string, Partial<RenderSpec>, string]>([
    [
      'container-name naming no container',
      { containerName: 'api', image: 'acme/api:1' },
      "container-name: no container named 'api' in the task definition (containers: web, log-router)",
    ],
    [
      'a container setting with two containers and no container-name',
      { environment: [['A', '1']] },
      'container-name: required when the task definition has 2 containers (web, log-router)',
    ],
    [
      'images naming no container',
      { images: [['webb', 'acme/web:2']] },
      "images: no container named 'webb' in the task definition (containers: web, log-router)",
    ],
    [
      'a log configuration without a driver for a container that has none',
      { containerName: 'log-router', logConfiguration: { options: { a: 'b' } } },
      'log-configuration: logDriver is required: the container has no log configuration to extend',
    ],
  ])('%s is refused', (_, overrides, message) => {
    expect(() => renderTaskDefinition(fixture('fargate-web.json'), spec(overrides))).toThrow(
      message,
    );
  });

  test('environment variables update existing keys in place and append new ones', () => {
    const rendered = renderTaskDefinition(
      fixture('fargate-web.json'),
      spec({
        containerName: 'web',
        environment: [
          ['LOG_LEVEL', 'debug'],
          ['FEATURE_X', 'on'],
        ],
      }),
    );
    expect(container(rendered, 'web').environment).toEqual([
      { name: 'NODE_ENV', value: 'production' },
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'FEATURE_X', value: 'on' },
    ]);
  });

  test('secrets update by name and append', () => {
    const base = {
      family: 'web',
      containerDefinitions: [
        { name: 'web', image: 'acme/web', secrets: [{ name: 'DB', valueFrom: '/old/db' }] },
      ],
    };
    const rendered = renderTaskDefinition(
      base,
      spec({
        secrets: [
          ['DB', '/new/db'],
          ['API_KEY', 'arn:aws:ssm:us-east-1:123456789012:parameter/k'],
        ],
      }),
    );
    expect(container(rendered, 'web').secrets).toEqual([
      { name: 'DB', valueFrom: '/new/db' },
      { name: 'API_KEY', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/k' },
    ]);
  });

  test('env files are added once each, typed s3', () => {
    const base = {
      family: 'web',
      containerDefinitions: [
        {
          name: 'web',
          image: 'acme/web',
          environmentFiles: [{ value: 'arn:aws:s3:::cfg/a.env', type: 's3' }],
        },
      ],
    };
    const rendered = renderTaskDefinition(
      base,
      spec({ envFiles: ['arn:aws:s3:::cfg/a.env', 'arn:aws:s3:::cfg/b.env'] }),
    );
    expect(container(rendered, 'web').environmentFiles).toEqual([
      { value: 'arn:aws:s3:::cfg/a.env', type: 's3' },
      { value: 'arn:aws:s3:::cfg/b.env', type: 's3' },
    ]);
  });

  test('docker labels merge into the existing ones', () => {
    const base = {
      family: 'web',
      containerDefinitions: [
        { name: 'web', image: 'acme/web', dockerLabels: { team: 'a', tier: 'web' } },
      ],
    };
    const rendered = renderTaskDefinition(
      base,
      spec({
        dockerLabels: [
          ['team', 'b'],
          ['commit', 'abc'],
        ],
      }),
    );
    expect(container(rendered, 'web').dockerLabels).toEqual({
      team: 'b',
      tier: 'web',
      commit: 'abc',
    });
  });

  test('command replaces the container command', () => {
    const rendered = renderTaskDefinition(
      fixture('fargate-web.json'),
      spec({ containerName: 'web', command: ['node', 'server.js'] }),
    );
    expect(container(rendered, 'web').command).toEqual(['node', 'server.js']);
  });

  test('a log configuration with the same driver keeps the other options', () => {
    const rendered = renderTaskDefinition(
      fixture('fargate-web.json'),
      spec({
        containerName: 'web',
        logConfiguration: { options: { 'awslogs-stream-prefix': 'canary' } },
      }),
    );
    expect(container(rendered, 'web').logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: {
        'awslogs-group': '/ecs/web',
        'awslogs-region': 'us-east-1',
        'awslogs-stream-prefix': 'canary',
      },
    });
  });

  test('a log configuration with another driver replaces the old one', () => {
    const given = {
      logDriver: 'awsfirelens',
      options: { Name: 'datadog' },
      secretOptions: [{ name: 'apikey', valueFrom: '/dd/key' }],
    };
    const rendered = renderTaskDefinition(
      fixture('fargate-web.json'),
      spec({ containerName: 'web', logConfiguration: given }),
    );
    expect(container(rendered, 'web').logConfiguration).toEqual(given);
  });

  test('cpu, memory, family and roles override the file', () => {
    const rendered = renderTaskDefinition(
      fixture('fargate-web.json'),
      spec({
        cpu: 1024,
        memory: 3072,
        family: 'web-canary',
        taskRoleArn: 'arn:aws:iam::123456789012:role/web',
        executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      }),
    );
    expect(rendered).toMatchObject({
      cpu: '1024',
      memory: '3072',
      family: 'web-canary',
      taskRoleArn: 'arn:aws:iam::123456789012:role/web',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
    });
  });

  test('cpu and memory written as "1 vCPU" and "2 GB" come out as units', () => {
    const rendered = renderTaskDefinition(
      { family: 'w', cpu: '1 vCPU', memory: '2 GB', containerDefinitions: [] },
      spec(),
    );
    expect(rendered).toMatchObject({ cpu: '1024', memory: '2048' });
  });

  test('YAML numbers become the strings ECS expects; nulls are dropped', () => {
    const rendered = renderTaskDefinition(
      {
        family: 'w',
        cpu: 256,
        memory: 512,
        taskRoleArn: null,
        containerDefinitions: [
          {
            name: 'w',
            image: 'acme/w',
            environment: [
              { name: 'PORT', value: 8080 },
              { name: 'DEBUG', value: false },
            ],
            dockerLabels: { version: 2 },
            portMappings: [{ containerPort: 8080 }],
          },
        ],
      },
      spec(),
    );
    expect(rendered).toEqual({
      family: 'w',
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        {
          name: 'w',
          image: 'acme/w',
          environment: [
            { name: 'PORT', value: '8080' },
            { name: 'DEBUG', value: 'false' },
          ],
          dockerLabels: { version: '2' },
          portMappings: [{ containerPort: 8080 }],
        },
      ],
    });
  });

  test('a merge document applies before the other inputs, containers merged by name', () => {
    const rendered = renderTaskDefinition(
      fixture('fargate-web.json'),
      spec({
        merge: {
          memory: '2048',
          containerDefinitions: [
            { name: 'web', environment: [{ name: 'LOG_LEVEL', value: 'warn' }] },
            { name: 'xray', image: 'public.ecr.aws/xray/aws-xray-daemon:3' },
          ],
        },
        containerName: 'web',
        environment: [['LOG_LEVEL', 'error']],
      }),
    );
    expect(rendered.memory).toBe('2048');
    expect(containers(rendered).map((c) => c.name)).toEqual(['web', 'log-router', 'xray']);
    expect(container(rendered, 'web').environment).toEqual([
      { name: 'NODE_ENV', value: 'production' },
      { name: 'LOG_LEVEL', value: 'error' },
    ]);
    expect(container(rendered, 'web').portMappings).toEqual([
      { containerPort: 8080, protocol: 'tcp' },
    ]);
  });
});

describe('the merge document', () => {
  test.each<[string, Doc, Doc, Doc]>([
    [
      'objects merge key by key',
      { a: { x: 1, y: 2 } },
      { a: { y: 3, z: 4 } },
      { a: { x: 1, y: 3, z: 4 } },
    ],
    ['null removes a key', { a: 1, b: 2 }, { b: null }, { a: 1 }],
    ['plain lists are replaced', { command: ['a', 'b'] }, { command: ['c'] }, { command: ['c'] }],
    [
      'containers merge by name and new ones are appended',
      { containerDefinitions: [{ name: 'a', cpu: 1 }, { name: 'b' }] },
      { containerDefinitions: [{ name: 'b', cpu: 2 }, { name: 'c' }] },
      { containerDefinitions: [{ name: 'a', cpu: 1 }, { name: 'b', cpu: 2 }, { name: 'c' }] },
    ],
    [
      'volumes merge by name',
      { volumes: [{ name: 'data', host: { sourcePath: '/a' } }] },
      { volumes: [{ name: 'data', host: { sourcePath: '/b' } }] },
      { volumes: [{ name: 'data', host: { sourcePath: '/b' } }] },
    ],
    [
      'tags merge by key',
      {
        tags: [
          { key: 'team', value: 'a' },
          { key: 'env', value: 'prod' },
        ],
      },
      { tags: [{ key: 'team', value: 'b' }] },
      {
        tags: [
          { key: 'team', value: 'b' },
          { key: 'env', value: 'prod' },
        ],
      },
    ],
    [
      'a key inside a container can be removed',
      { containerDefinitions: [{ name: 'a', memoryReservation: 256 }] },
      { containerDefinitions: [{ name: 'a', memoryReservation: null }] },
      { containerDefinitions: [{ name: 'a' }] },
    ],
  ])('%s', (_, target, patch, expected) => {
    const before = structuredClone(target);
    expect(deepMerge(target, patch)).toEqual(expected);
    expect(target).toEqual(before);
  });
});
