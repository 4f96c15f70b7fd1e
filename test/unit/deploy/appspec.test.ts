import { createHash } from 'node:crypto';
import type { Service } from '@aws-sdk/client-ecs';
import { describe, expect, test } from 'vitest';
import {
  appSpecFromFile,
  appSpecFromService,
  appSpecRevision,
  checkContainer,
} from '../../../src/actions/deploy/appspec.ts';

const ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8';
const service: Service = {
  serviceName: 'web',
  loadBalancers: [
    { targetGroupArn: 'arn:tg/web-blue', containerName: 'web', containerPort: 8080 },
    { targetGroupArn: 'arn:tg/other', containerName: 'sidecar', containerPort: 9000 },
  ],
  platformVersion: '1.4.0',
  networkConfiguration: {
    awsvpcConfiguration: {
      subnets: ['subnet-1', 'subnet-2'],
      securityGroups: ['sg-1'],
      assignPublicIp: 'DISABLED',
    },
  },
  capacityProviderStrategy: [
    { capacityProvider: 'FARGATE', weight: 1, base: 1 },
    { capacityProvider: 'FARGATE_SPOT', weight: 3 },
  ],
};

describe('the AppSpec generated from the service', () => {
  test('carries the first load balancer, network, platform and capacity settings in AppSpec keys', () => {
    expect(
      appSpecFromService(service, {
        taskDefinitionArn: ARN,
        hooks: [['AfterAllowTestTraffic', 'smoke']],
      }),
    ).toEqual({
      version: '0.0',
      Resources: [
        {
          TargetService: {
            Type: 'AWS::ECS::Service',
            Properties: {
              TaskDefinition: ARN,
              LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 },
              PlatformVersion: '1.4.0',
              NetworkConfiguration: {
                AwsvpcConfiguration: {
                  Subnets: ['subnet-1', 'subnet-2'],
                  SecurityGroups: ['sg-1'],
                  AssignPublicIp: 'DISABLED',
                },
              },
              CapacityProviderStrategy: [
                { CapacityProvider: 'FARGATE', Weight: 1, Base: 1 },
                { CapacityProvider: 'FARGATE_SPOT', Weight: 3 },
              ],
            },
          },
        },
      ],
      Hooks: [{ AfterAllowTestTraffic: 'smoke' }],
    });
  });

  test.each([
    [{ containerName: 'api' }, { ContainerName: 'api', ContainerPort: 8080 }],
    [{ containerPort: 80 }, { ContainerName: 'web', ContainerPort: 80 }],
  ])('container-name/port override the load balancer’s: %o', (override, expected) => {
    const spec = appSpecFromService(service, { taskDefinitionArn: ARN, hooks: [], ...override });
    expect(spec.Resources[0]!.TargetService.Properties.LoadBalancerInfo).toEqual(expected);
  });

  test('a service without load balancer or network settings gives the minimal AppSpec, or asks for the container', () => {
    expect(() =>
      appSpecFromService({ serviceName: 'worker' }, { taskDefinitionArn: ARN, hooks: [] }),
    ).toThrow(
      'service worker has no load balancer with a container name and port: set container-name and container-port',
    );
    const spec = appSpecFromService(
      { serviceName: 'worker' },
      { taskDefinitionArn: ARN, hooks: [], containerName: 'w', containerPort: 1 },
    );
    expect(spec.Resources[0]!.TargetService.Properties).toEqual({
      TaskDefinition: ARN,
      LoadBalancerInfo: { ContainerName: 'w', ContainerPort: 1 },
    });
    expect(spec.Hooks).toBeUndefined();
  });
});

describe('an AppSpec file', () => {
  const doc = {
    version: 0.0,
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: {
            TaskDefinition: '<TASK_DEFINITION>',
            LoadBalancerInfo: { ContainerName: 'web', ContainerPort: '8080' },
          },
        },
      },
    ],
    Hooks: [{ BeforeInstall: 'prepare' }],
  };

  test('gets the deployed task definition whatever placeholder it held, and keeps its hooks', () => {
    const spec = appSpecFromFile('appspec.yaml', doc, { taskDefinitionArn: ARN, hooks: [] });
    expect(spec.Resources[0]!.TargetService.Properties).toEqual({
      TaskDefinition: ARN,
      LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 },
    });
    expect(spec.Hooks).toEqual([{ BeforeInstall: 'prepare' }]);
    expect(doc.Resources[0]!.TargetService.Properties.TaskDefinition).toBe('<TASK_DEFINITION>');
  });

  test.each([
    [{ Resources: [] }, 'appspec: a.yml: Resources must list exactly one TargetService'],
    [
      { Resources: [{ TargetService: { Type: 'AWS::Lambda::Function', Properties: {} } }] },
      'Type AWS::ECS::Service',
    ],
    [
      { Resources: [{ TargetService: { Type: 'AWS::ECS::Service', Properties: {} } }] },
      'LoadBalancerInfo.ContainerName is missing (or set container-name)',
    ],
    [
      {
        Resources: [
          {
            TargetService: {
              Type: 'AWS::ECS::Service',
              Properties: { LoadBalancerInfo: { ContainerName: 'web' } },
            },
          },
        ],
      },
      'LoadBalancerInfo.ContainerPort is missing (or set container-port)',
    ],
  ])('a malformed file is refused before anything is deployed: %o', (bad, message) => {
    expect(() => appSpecFromFile('a.yml', bad, { taskDefinitionArn: ARN, hooks: [] })).toThrow(
      message,
    );
  });
});

describe('checking the container against the task definition', () => {
  const spec = appSpecFromService(service, { taskDefinitionArn: ARN, hooks: [] });
  test.each([
    [[{ name: 'web', portMappings: [{ containerPort: 8080 }] }], undefined],
    [
      [{ name: 'app', portMappings: [{ containerPort: 8080 }] }],
      "container 'web' (the load balancer's target) is not in the task definition (containers: app); set container-name",
    ],
    [
      [{ name: 'web', portMappings: [{ containerPort: 80 }] }],
      "container 'web' has no port mapping for 8080 (ports: 80); set container-port",
    ],
  ])('%o', (containers, message) => {
    if (message) expect(() => checkContainer(spec, containers)).toThrow(message);
    else expect(() => checkContainer(spec, containers)).not.toThrow();
  });
});

test('the revision carries the content’s sha256', () => {
  const spec = appSpecFromService(service, { taskDefinitionArn: ARN, hooks: [] });
  const revision = appSpecRevision(spec);
  expect(JSON.parse(revision.content)).toEqual(spec);
  expect(revision.sha256).toBe(createHash('sha256').update(revision.content).digest('hex'));
});
