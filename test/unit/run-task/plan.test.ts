import type { ContainerDefinition, Service } from '@aws-sdk/client-ecs';
import { describe, expect, test } from 'vitest';
import {
  containerOverride,
  logConsoleUrl,
  logStreamName,
  logTarget,
  pickContainer,
  runTaskRequest,
} from '../../../src/actions/run-task/plan.ts';

const containers: ContainerDefinition[] = [
  { name: 'log-router', image: 'fluent-bit:2', essential: false },
  {
    name: 'web',
    image: 'web:1',
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': '/ecs/web', 'awslogs-stream-prefix': 'web' },
    },
  },
  { name: 'worker', image: 'web:1', essential: true },
];

/** A DescribeServices answer (with include TAGS) for a Fargate service, as the API reference shows it. */
const service: Service = {
  serviceName: 'web',
  status: 'ACTIVE',
  launchType: 'FARGATE',
  platformVersion: '1.4.0',
  networkConfiguration: {
    awsvpcConfiguration: {
      subnets: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
      securityGroups: ['sg-0a1b2c3d4e5f60001'],
      assignPublicIp: 'DISABLED',
    },
  },
  tags: [
    { key: 'team', value: 'payments' },
    { key: 'aws:cloudformation:stack-name', value: 'web' },
  ],
};

const parts = {
  cluster: 'prod',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8',
  count: 1,
  startedBy: 'fd-run-task-1001-abcd1234',
  clientToken: 'token-1',
};

describe('the container a run is about', () => {
  test.each<[string | undefined, string]>([
    [undefined, 'web'],
    ['worker', 'worker'],
    ['log-router', 'log-router'],
  ])('container-name %s picks %s (default: the first essential one)', (name, expected) => {
    expect(pickContainer(containers, name).name).toBe(expected);
  });

  test('a name the task definition lacks is an input error listing what it has', () => {
    expect(() => pickContainer(containers, 'app', 'web:8')).toThrow(
      "container-name: no container 'app' in web:8 (its containers: log-router, web, worker)",
    );
  });
});

describe('the RunTask request', () => {
  test('copies the service: network, launch type, platform version and its own tags', () => {
    expect(runTaskRequest({ ...parts, network: {}, service })).toEqual({
      ...parts,
      taskDefinition: parts.taskDefinitionArn,
      taskDefinitionArn: undefined,
      networkConfiguration: service.networkConfiguration,
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      tags: [{ key: 'team', value: 'payments' }],
    });
  });

  test('inputs replace the service’s subnets, security groups and public IP one by one', () => {
    const request = runTaskRequest({
      ...parts,
      network: { subnets: ['subnet-0fffffffffffffff1'], assignPublicIp: 'ENABLED' },
      service,
    });
    expect(request.networkConfiguration?.awsvpcConfiguration).toEqual({
      subnets: ['subnet-0fffffffffffffff1'],
      securityGroups: ['sg-0a1b2c3d4e5f60001'],
      assignPublicIp: 'ENABLED',
    });
  });

  test('a service on capacity providers passes its strategy, not a launch type', () => {
    const spot: Service = {
      ...service,
      launchType: undefined,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
    };
    const request = runTaskRequest({ ...parts, network: {}, service: spot });
    expect(request.capacityProviderStrategy).toEqual([
      { capacityProvider: 'FARGATE_SPOT', weight: 1 },
    ]);
    expect(request).not.toHaveProperty('launchType');
  });

  test('without a service: Fargate, the subnets given, no public IP, no tags', () => {
    const request = runTaskRequest({
      ...parts,
      network: { subnets: ['subnet-0a1b2c3d4e5f60001'] },
    });
    expect(request).toMatchObject({
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60001'], assignPublicIp: 'DISABLED' },
      },
    });
    expect(request).not.toHaveProperty('tags');
    expect(request).not.toHaveProperty('platformVersion');
    expect(request).not.toHaveProperty('overrides');
  });

  test('overrides the command and environment of the one container', () => {
    const override = containerOverride('web', ['npm', 'run', 'migrate'], [['LOG_LEVEL', 'debug']]);
    const request = runTaskRequest({ ...parts, network: {}, service, ...{ override } });
    expect(request.overrides).toEqual({
      containerOverrides: [
        {
          name: 'web',
          command: ['npm', 'run', 'migrate'],
          environment: [{ name: 'LOG_LEVEL', value: 'debug' }],
        },
      ],
    });
    expect(containerOverride('web', undefined, [])).toBeUndefined();
  });
});

describe('where the container’s log is', () => {
  test('awslogs: group, prefix, and the region it names or the action’s', () => {
    expect(logTarget(containers[1]!, 'us-east-1')).toEqual({
      group: '/ecs/web',
      prefix: 'web',
      region: 'us-east-1',
    });
    const elsewhere = structuredClone(containers[1]!);
    elsewhere.logConfiguration!.options!['awslogs-region'] = 'eu-west-1';
    expect(logTarget(elsewhere, 'us-east-1')).toMatchObject({ region: 'eu-west-1' });
  });

  test.each<[ContainerDefinition, string]>([
    [{ name: 'a' }, "container 'a' has no log configuration"],
    [
      { name: 'a', logConfiguration: { logDriver: 'awsfirelens' } },
      "container 'a' logs through awsfirelens, not awslogs",
    ],
    [
      { name: 'a', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } } },
      "container 'a' has no awslogs-stream-prefix",
    ],
  ])('no stream to read when %j', (container, problem) => {
    expect(logTarget(container, 'us-east-1')).toEqual({ problem });
  });

  test('the stream is prefix/container/task-id and its console URL escapes as the console does', () => {
    const target = { group: '/ecs/web', prefix: 'web', region: 'us-east-1' };
    const arn = 'arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef';
    const stream = logStreamName(target, 'web', arn);
    expect(stream).toBe('web/web/0123456789abcdef0123456789abcdef');
    expect(logConsoleUrl('us-east-1', target.group, stream)).toBe(
      'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Fecs$252Fweb/log-events/web$252Fweb$252F0123456789abcdef0123456789abcdef',
    );
  });
});
