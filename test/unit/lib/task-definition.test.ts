import type { RegisterTaskDefinitionRequest, TaskDefinition } from '@aws-sdk/client-ecs';
import { describe, expect, test } from 'vitest';
import { sameTaskDefinition } from '../../../src/lib/task-definition.ts';

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
