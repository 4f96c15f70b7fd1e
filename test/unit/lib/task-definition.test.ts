import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RegisterTaskDefinitionRequest, TaskDefinition } from '@aws-sdk/client-ecs';
import { afterAll, describe, expect, test } from 'vitest';
import {
  definitionBytes,
  readTaskDefinitionFile,
  sameTaskDefinition,
  TASK_DEFINITION_LIMIT,
} from '../../../src/lib/task-definition.ts';

const file = {
  family: 'web',
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  containerDefinitions: [
    {
      name: 'web',
      image: 'web:v1.1.0',
      portMappings: [{ containerPort: 8080 }],
      environment: [{ name: 'PORT', value: '8080' }],
    },
  ],
} as RegisterTaskDefinitionRequest;

/** What ECS answers for the same definition: defaults filled in, read-only fields added. */
const stored = {
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
  revision: 7,
  status: 'ACTIVE',
  registeredAt: new Date(),
  requiresAttributes: [{ name: 'ecs.capability.task-eni' }],
  compatibilities: ['EC2', 'FARGATE'],
  family: 'web',
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  volumes: [],
  placementConstraints: [],
  containerDefinitions: [
    {
      name: 'web',
      image: 'web:v1.1.0',
      cpu: 0,
      essential: true,
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
      environment: [{ name: 'PORT', value: '8080' }],
      mountPoints: [],
      volumesFrom: [],
    },
  ],
} as unknown as TaskDefinition;

describe('whether a file is the live revision already', () => {
  test('the same definition, as ECS stores it, is the same', () => {
    expect(sameTaskDefinition(file, stored)).toBe(true);
  });

  test.each([
    ['a new image', { image: 'web:v1.2.0' }],
    ['another environment value', { environment: [{ name: 'PORT', value: '9090' }] }],
    [
      'an extra variable',
      {
        environment: [
          { name: 'PORT', value: '8080' },
          { name: 'X', value: '1' },
        ],
      },
    ],
    ['a health check the live one lacks', { healthCheck: { command: ['CMD', 'true'] } }],
  ])('%s makes it different', (_what, change) => {
    const changed = {
      ...file,
      containerDefinitions: [{ ...file.containerDefinitions![0]!, ...change }],
    };
    expect(sameTaskDefinition(changed as RegisterTaskDefinitionRequest, stored)).toBe(false);
  });

  test('a setting removed from the file makes it different', () => {
    const live = structuredClone(stored);
    (live.containerDefinitions![0] as Record<string, unknown>).stopTimeout = 30;
    expect(sameTaskDefinition(file, live)).toBe(false);
  });
});

describe('a task definition file ECS could not register is refused before anything else', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'td-size-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string): string {
    const at = path.join(dir, name);
    writeFileSync(at, text);
    return at;
  }

  test('a definition over 64 KiB as JSON names its size and the limit', () => {
    const big = structuredClone(file);
    big.containerDefinitions![0]!.environment = Array.from({ length: 1500 }, (_, i) => ({
      name: `VAR_${i}`,
      value: 'v'.repeat(40),
    }));
    const at = write('big.json', JSON.stringify(big));
    expect(() => readTaskDefinitionFile('task-definition', at)).toThrow(
      /^task-definition: .*big\.json is [\d.]+ KiB \([\d,]+ bytes\) as JSON, over ECS's limit of 64 KiB \(65,536 bytes\) per task definition/,
    );
    expect(definitionBytes(big)).toBeGreaterThan(TASK_DEFINITION_LIMIT);
  });

  test('a file over 1 MiB is refused by its size without being parsed', () => {
    const at = write('huge.yaml', `family: web\n${'# pad\n'.repeat(200_000)}`);
    expect(() => readTaskDefinitionFile('task-definition', at)).toThrow(
      /is 1,171\.9 KiB \(1,200,012 bytes\); ECS takes a task definition of at most 64 KiB \(65,536 bytes\), so a file over 1,024 KiB \(1,048,576 bytes\) is not read$/,
    );
  });

  test('one just under the limit is read', () => {
    const at = write('ok.json', JSON.stringify(file));
    expect(readTaskDefinitionFile('task-definition', at).request.family).toBe('web');
  });
});
