import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { deploy } from '../../../src/actions/deploy/deploy.ts';
import { getInputs } from '../../../src/actions/deploy/inputs.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';
import { fakeTime, recordingLog } from './helpers.ts';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/deploy');
const workspace = mkdtempSync(path.join(tmpdir(), 'deploy-orchestration-'));
copyFileSync(path.join(fixtures, 'task-definition.json'), path.join(workspace, 'td.json'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const ecsMock = mockClient(ECSClient);
const cdMock = mockClient(CodeDeployClient);
const clients = {
  ecs: new ECSClient({ region: 'us-east-1' }),
  codedeploy: new CodeDeployClient({ region: 'us-east-1' }),
};

const LIVE = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
const REGISTERED = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8';

const codeDeployService: Service = {
  serviceName: 'web',
  status: 'ACTIVE',
  desiredCount: 2,
  taskDefinition: LIVE,
  deploymentController: { type: 'CODE_DEPLOY' },
  loadBalancers: [{ targetGroupArn: 'arn:tg/web-blue', containerName: 'web', containerPort: 8080 }],
  networkConfiguration: {
    awsvpcConfiguration: {
      subnets: ['subnet-1'],
      securityGroups: ['sg-1'],
      assignPublicIp: 'DISABLED',
    },
  },
  platformVersion: 'LATEST',
  taskSets: [{ id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: LIVE }],
  events: [],
};

function liveDefinition(image: string): TaskDefinition {
  return {
    taskDefinitionArn: LIVE,
    family: 'web',
    revision: 7,
    status: 'ACTIVE',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    taskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
    runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
    volumes: [],
    containerDefinitions: [
      {
        name: 'web',
        image,
        cpu: 0,
        essential: true,
        portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
        environment: [{ name: 'PORT', value: '8080' }],
        mountPoints: [],
        volumesFrom: [],
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': '/ecs/web',
            'awslogs-region': 'us-east-1',
            'awslogs-stream-prefix': 'web',
          },
        },
      },
    ],
  };
}

function run(values: Record<string, string>) {
  const inputs = getInputs(
    mapInputs({
      'task-definition': 'td.json',
      cluster: 'prod',
      service: 'web',
      'aws-region': 'us-east-1',
      ...values,
    }),
    workspace,
  );
  const clock = fakeTime();
  const recorder = recordingLog();
  return {
    recorder,
    promise: deploy(clients, inputs, {
      log: recorder.log,
      region: 'us-east-1',
      now: clock.now,
      sleep: clock.sleep,
      random: clock.random,
      env: {},
    }),
  };
}

function givenCodeDeploy({ liveImage = 'web:old', readyWait = false } = {}) {
  ecsMock.on(DescribeServicesCommand).resolves({ services: [codeDeployService], failures: [] });
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: liveDefinition(liveImage) });
  ecsMock
    .on(RegisterTaskDefinitionCommand)
    .resolves({ taskDefinition: { taskDefinitionArn: REGISTERED } });
  cdMock.on(GetDeploymentGroupCommand).resolves({
    deploymentGroupInfo: {
      applicationName: 'AppECS-prod-web',
      deploymentGroupName: 'DgpECS-prod-web',
      computePlatform: 'ECS',
      deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
      ecsServices: [{ clusterName: 'prod', serviceName: 'web' }],
      lastSuccessfulDeployment: { deploymentId: 'd-PREVIOUS1' },
      blueGreenDeploymentConfiguration: {
        deploymentReadyOption: {
          actionOnTimeout: readyWait ? 'STOP_DEPLOYMENT' : 'CONTINUE_DEPLOYMENT',
        },
      },
    },
  });
  cdMock.on(ListDeploymentsCommand).resolves({ deployments: [] });
  cdMock.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW000001' });
}

const mutations = () => [
  ...ecsMock.commandCalls(RegisterTaskDefinitionCommand),
  ...ecsMock.commandCalls(UpdateServiceCommand),
  ...cdMock.commandCalls(CreateDeploymentCommand),
];

beforeEach(() => {
  ecsMock.reset();
  cdMock.reset();
});

describe('deploying to a CodeDeploy service', () => {
  test('registers the changed definition and creates a deployment whose AppSpec mirrors the service', async () => {
    givenCodeDeploy();
    const result = await run({ 'wait-until': 'none' }).promise;
    expect(result).toMatchObject({
      controller: 'CODE_DEPLOY',
      strategy: 'CodeDeployDefault.ECSAllAtOnce',
      taskDefinitionArn: REGISTERED,
      deploymentId: 'd-NEW000001',
      unchanged: false,
    });
    const input = cdMock.commandCalls(CreateDeploymentCommand)[0]!.args[0].input;
    expect(input.applicationName).toBe('AppECS-prod-web');
    expect(input.deploymentGroupName).toBe('DgpECS-prod-web');
    expect(input.revision?.revisionType).toBe('AppSpecContent');
    expect(JSON.parse(input.revision!.appSpecContent!.content!)).toEqual({
      version: '0.0',
      Resources: [
        {
          TargetService: {
            Type: 'AWS::ECS::Service',
            Properties: {
              TaskDefinition: REGISTERED,
              LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 },
              PlatformVersion: 'LATEST',
              NetworkConfiguration: {
                AwsvpcConfiguration: {
                  Subnets: ['subnet-1'],
                  SecurityGroups: ['sg-1'],
                  AssignPublicIp: 'DISABLED',
                },
              },
            },
          },
        },
      ],
    });
  });

  test('a re-run after a success deploys nothing when the file equals the live revision', async () => {
    givenCodeDeploy({ liveImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1.1.0' });
    const { promise, recorder } = run({});
    const result = await promise;
    expect(result).toMatchObject({
      status: 'UNCHANGED',
      unchanged: true,
      taskDefinitionArn: LIVE,
      deploymentId: 'd-PREVIOUS1',
    });
    expect(mutations()).toHaveLength(0);
    expect(recorder.text()).toContain(
      "Service 'web' already runs web:7: nothing to deploy (set force-new-deployment: true to deploy it again)",
    );
  });

  test('force-new-deployment deploys the live revision again without registering a copy', async () => {
    givenCodeDeploy({ liveImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1.1.0' });
    const result = await run({ 'force-new-deployment': 'true', 'wait-until': 'none' }).promise;
    expect(result.taskDefinitionArn).toBe(LIVE);
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(cdMock.commandCalls(CreateDeploymentCommand)).toHaveLength(1);
  });

  test('an active deployment on the group is named, and nothing is registered', async () => {
    givenCodeDeploy();
    cdMock.on(ListDeploymentsCommand).resolves({ deployments: ['d-RUNNING01'] });
    cdMock
      .on(GetDeploymentCommand)
      .resolves({ deploymentInfo: { deploymentId: 'd-RUNNING01', status: 'InProgress' } });
    await expect(run({}).promise).rejects.toThrow(
      "CodeDeploy deployment d-RUNNING01 (InProgress) is already in progress on service 'web'; wait for it to end, or set wait-for-active: true to wait here",
    );
    expect(mutations()).toHaveLength(0);
  });

  test('wait-for-active waits for the other deployment to end, then deploys', async () => {
    givenCodeDeploy();
    cdMock.on(ListDeploymentsCommand).resolves({ deployments: ['d-RUNNING01'] });
    cdMock
      .on(GetDeploymentCommand)
      .resolvesOnce({ deploymentInfo: { deploymentId: 'd-RUNNING01', status: 'InProgress' } })
      .resolvesOnce({ deploymentInfo: { deploymentId: 'd-RUNNING01', status: 'InProgress' } })
      .resolves({ deploymentInfo: { deploymentId: 'd-RUNNING01', status: 'Succeeded' } });
    const result = await run({ 'wait-for-active': 'true', 'wait-until': 'none' }).promise;
    expect(result.deploymentId).toBe('d-NEW000001');
  });

  test('the test gate needs a ready wait: refused before anything is registered', async () => {
    givenCodeDeploy({ readyWait: false });
    await expect(run({ 'test-url': 'http://127.0.0.1:1/health' }).promise).rejects.toThrow(
      /^test-url: the test-traffic gate needs deployment group 'DgpECS-prod-web' to wait before rerouting production traffic/,
    );
    expect(mutations()).toHaveLength(0);
  });

  test.each([
    [
      'ApplicationDoesNotExistException',
      "codedeploy-application: CodeDeploy application 'AppECS-prod-web' does not exist",
    ],
    [
      'DeploymentGroupDoesNotExistException',
      "codedeploy-deployment-group: deployment group 'DgpECS-prod-web' does not exist in application 'AppECS-prod-web'",
    ],
  ])('%s is explained in terms of the inputs', async (name, message) => {
    givenCodeDeploy();
    cdMock
      .on(GetDeploymentGroupCommand)
      .rejects(Object.assign(new Error('not found'), { name, $metadata: {} }));
    await expect(run({}).promise).rejects.toThrow(message);
  });

  test('desired-count is refused for a CodeDeploy service', async () => {
    givenCodeDeploy();
    await expect(run({ 'desired-count': '3' }).promise).rejects.toThrow(
      /^desired-count: applies to services with the ECS deployment controller/,
    );
  });

  test('a container missing from the task definition is caught before registering', async () => {
    givenCodeDeploy();
    await expect(run({ 'container-name': 'api' }).promise).rejects.toThrow(
      "container 'api' (the load balancer's target) is not in the task definition (containers: web); set container-name",
    );
    expect(mutations()).toHaveLength(0);
  });
});

describe('reading the service first', () => {
  test('an EXTERNAL controller is not supported, clearly', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [{ ...codeDeployService, deploymentController: { type: 'EXTERNAL' } }],
    });
    await expect(run({}).promise).rejects.toThrow(
      "service 'web' uses the EXTERNAL deployment controller, which this action does not support",
    );
  });

  test('a missing service says which cluster was looked in', async () => {
    ecsMock
      .on(DescribeServicesCommand)
      .resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    await expect(run({}).promise).rejects.toThrow(
      "service: service 'web' not found in cluster 'prod' (MISSING)",
    );
  });
});

describe('deploying to an ECS-controlled service', () => {
  const rolling: Service = {
    serviceName: 'web',
    status: 'ACTIVE',
    desiredCount: 2,
    taskDefinition: LIVE,
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: { strategy: 'ROLLING' },
    deployments: [
      {
        id: 'ecs-svc/1',
        status: 'PRIMARY',
        taskDefinition: LIVE,
        rolloutState: 'COMPLETED',
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
      },
    ],
    events: [],
  };

  test('UpdateService gets the new revision and desired count', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [rolling] });
    ecsMock
      .on(DescribeTaskDefinitionCommand)
      .resolves({ taskDefinition: liveDefinition('web:old') });
    ecsMock
      .on(RegisterTaskDefinitionCommand)
      .resolves({ taskDefinition: { taskDefinitionArn: REGISTERED } });
    ecsMock.on(UpdateServiceCommand).resolves({
      service: {
        ...rolling,
        currentServiceDeployment:
          'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/x',
        deployments: [
          {
            id: 'ecs-svc/2',
            status: 'PRIMARY',
            taskDefinition: REGISTERED,
            rolloutState: 'IN_PROGRESS',
          },
        ],
      },
    });
    const result = await run({ 'desired-count': '4', 'wait-until': 'none' }).promise;
    expect(ecsMock.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({
      cluster: 'prod',
      service: 'web',
      taskDefinition: REGISTERED,
      desiredCount: 4,
    });
    expect(result).toMatchObject({
      controller: 'ECS',
      strategy: 'ROLLING',
      status: 'IN_PROGRESS',
      deploymentId: 'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/x',
    });
  });

  test('a rolling service already settled on the revision is left alone', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [rolling] });
    ecsMock
      .on(DescribeTaskDefinitionCommand)
      .resolves({ taskDefinition: liveDefinition('web:old') });
    const again = await run({ 'task-definition': '', 'task-definition-arn': 'web:7' }).promise;
    expect(again).toMatchObject({ status: 'UNCHANGED', unchanged: true });
    expect(mutations()).toHaveLength(0);
  });

  test.each([
    [{ hooks: 'BeforeInstall=fn' }, 'hooks: applies to CodeDeploy blue/green'],
    [{ 'test-url': 'http://x/' }, 'test-url: applies to CodeDeploy blue/green'],
    [
      { 'wait-until': 'ready' },
      'wait-until: ready needs a blue/green deployment with a test stage',
    ],
  ])('%o is refused for a rolling service', async (values, message) => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [rolling] });
    await expect(run(values).promise).rejects.toThrow(message);
    expect(mutations()).toHaveLength(0);
  });

  test('another native blue/green deployment in flight is named', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [{ ...rolling, deploymentConfiguration: { strategy: 'BLUE_GREEN' } }],
    });
    ecsMock.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [{ serviceDeploymentArn: 'arn:sd/1', status: 'IN_PROGRESS' }],
    });
    await expect(run({}).promise).rejects.toThrow(
      "service deployment arn:sd/1 (IN_PROGRESS) is already in progress on service 'web'",
    );
  });
});
