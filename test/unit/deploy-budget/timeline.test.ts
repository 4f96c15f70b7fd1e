import {
  CodeDeployClient,
  GetDeploymentCommand,
  GetDeploymentConfigCommand,
  GetDeploymentGroupCommand,
  GetDeploymentTargetCommand,
  type LifecycleEvent,
} from '@aws-sdk/client-codedeploy';
import { DescribeImagesCommand, ECRClient, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import {
  AccessDeniedException,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type Service,
  type ServiceEvent,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import { attributeCauses } from '../../../src/actions/deploy-budget/causes.ts';
import {
  createTimelineClients,
  type DeployRef,
  deploymentKind,
  drainSpans,
  gatherTimeline,
  rollingHealthyMark,
  type TimelineClients,
} from '../../../src/actions/deploy-budget/timeline.ts';

const ecsMock = mockClient(ECSClient);
const ecrMock = mockClient(ECRClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const cdMock = mockClient(CodeDeployClient);

const clients: TimelineClients = {
  ecs: new ECSClient({ region: 'eu-west-1' }),
  ecr: () => new ECRClient({ region: 'eu-west-1' }),
  elbv2: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
  codedeploy: new CodeDeployClient({ region: 'eu-west-1' }),
};

beforeEach(() => {
  ecsMock.reset();
  ecrMock.reset();
  elbMock.reset();
  cdMock.reset();
});

const T0 = Date.parse('2025-03-01T09:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const ACCOUNT = '210987654321';
const CLUSTER = `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/prod`;
const TD_NEW = `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:13`;
const TD_OLD = `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:12`;
const TG_API = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/api/3f2a1b0c9d8e7f60`;
const DIGEST = `sha256:${'a'.repeat(64)}`;

function taskArn(id: string) {
  return `arn:aws:ecs:eu-west-1:${ACCOUNT}:task/prod/${id}`;
}

/** A Fargate task as DescribeTasks returns it, its steps starting at `created` seconds. */
function fargateTask(
  id: string,
  taskDefinitionArn: string,
  created: number,
  steps = { provision: 20, pull: 40, start: 5 },
): Task {
  const pullStart = created + steps.provision;
  const pullStop = pullStart + steps.pull;
  return {
    taskArn: taskArn(id),
    clusterArn: CLUSTER,
    taskDefinitionArn,
    group: 'service:api',
    startedBy: 'ecs-svc/9223370000000000001',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    connectivity: 'CONNECTED',
    connectivityAt: at(created + 15),
    createdAt: at(created),
    pullStartedAt: at(pullStart),
    pullStoppedAt: at(pullStop),
    startedAt: at(pullStop + steps.start),
    healthStatus: 'HEALTHY',
    containers: [
      {
        containerArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:container/prod/${id}/c`,
        taskArn: taskArn(id),
        name: 'api',
        image: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/api:v2.4.0`,
        imageDigest: DIGEST,
        lastStatus: 'RUNNING',
        healthStatus: 'HEALTHY',
      },
    ],
  };
}

/** Service events newest first, as DescribeServices lists them. */
function events(list: Array<[number, string]>): ServiceEvent[] {
  return list
    .map(([s, message], i) => ({ id: `e${i}`, createdAt: at(s), message }))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

const ROLLING_EVENTS = events([
  [2, '(service api) has started 2 tasks: (task t1) (task t2).'],
  [70, `(service api) registered 2 targets in (target-group ${TG_API})`],
  [218, '(service api) has begun draining connections on 2 tasks.'],
  [218, `(service api) deregistered 2 targets in (target-group ${TG_API})`],
  [518, '(service api) has stopped 2 running tasks: (task t0a) (task t0b).'],
  [530, '(service api) (deployment ecs-svc/9223370000000000001) deployment completed.'],
  [530, '(service api) has reached a steady state.'],
]);

function rollingService(extra: Partial<Service> = {}): Service {
  return {
    serviceArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/api`,
    serviceName: 'api',
    clusterArn: CLUSTER,
    status: 'ACTIVE',
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    launchType: 'FARGATE',
    taskDefinition: TD_NEW,
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: {
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      strategy: 'ROLLING',
    },
    loadBalancers: [{ targetGroupArn: TG_API, containerName: 'api', containerPort: 3000 }],
    deployments: [
      {
        id: 'ecs-svc/9223370000000000001',
        status: 'PRIMARY',
        taskDefinition: TD_NEW,
        desiredCount: 2,
        runningCount: 2,
        pendingCount: 0,
        failedTasks: 0,
        createdAt: at(0),
        updatedAt: at(530),
        rolloutState: 'COMPLETED',
        rolloutStateReason: 'ECS deployment ecs-svc/9223370000000000001 completed.',
      },
    ],
    events: ROLLING_EVENTS,
    createdAt: at(-86400),
    ...extra,
  };
}

function targetGroup(name: string, arn: string, extra: Partial<TargetGroup> = {}): TargetGroup {
  return {
    TargetGroupArn: arn,
    TargetGroupName: name,
    Protocol: 'HTTP',
    Port: 3000,
    VpcId: 'vpc-0a1b2c3d',
    HealthCheckProtocol: 'HTTP',
    HealthCheckPort: 'traffic-port',
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: 30,
    HealthCheckTimeoutSeconds: 5,
    HealthyThresholdCount: 5,
    UnhealthyThresholdCount: 2,
    HealthCheckPath: '/',
    Matcher: { HttpCode: '200' },
    LoadBalancerArns: [
      `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:loadbalancer/app/api/50dc6c495c0c9188`,
    ],
    TargetType: 'ip',
    ProtocolVersion: 'HTTP1',
    IpAddressType: 'ipv4',
    ...extra,
  };
}

function attributes(delay: string) {
  return {
    Attributes: [
      { Key: 'stickiness.enabled', Value: 'false' },
      { Key: 'deregistration_delay.timeout_seconds', Value: delay },
      { Key: 'stickiness.type', Value: 'lb_cookie' },
      { Key: 'slow_start.duration_seconds', Value: '0' },
      { Key: 'load_balancing.algorithm.type', Value: 'round_robin' },
    ],
  };
}

function mockRollingDeploy(service = rollingService()) {
  ecsMock.on(DescribeServicesCommand).resolves({ services: [service], failures: [] });
  ecsMock.on(ListTasksCommand).resolves({
    taskArns: [taskArn('t0c'), taskArn('t1'), taskArn('t2')],
  });
  ecsMock.on(DescribeTasksCommand).resolves({
    tasks: [
      fargateTask('t0c', TD_OLD, -3600),
      fargateTask('t1', TD_NEW, 2),
      fargateTask('t2', TD_NEW, 3),
    ],
    failures: [],
  });
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      taskDefinitionArn: TD_NEW,
      family: 'api',
      revision: 13,
      containerDefinitions: [
        {
          name: 'api',
          image: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/api:v2.4.0`,
          essential: true,
          healthCheck: {
            command: ['CMD-SHELL', 'curl -f http://localhost:3000/health'],
            interval: 15,
          },
        },
      ],
    },
  });
  ecrMock.on(DescribeImagesCommand).resolves({
    imageDetails: [
      {
        registryId: ACCOUNT,
        repositoryName: 'api',
        imageDigest: DIGEST,
        imageTags: ['v2.4.0'],
        imageSizeInBytes: 1_000_000_000,
        imagePushedAt: at(-600),
      },
    ],
  });
  elbMock.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [targetGroup('api', TG_API)] });
  elbMock.on(DescribeTargetGroupAttributesCommand).resolves(attributes('300'));
}

const rollingRef: DeployRef = {
  cluster: 'prod',
  service: 'api',
  deploymentId: 'ecs-svc/9223370000000000001',
  taskDefinitionArn: TD_NEW,
  endedAt: T0 + 531_000,
};

describe('gatherTimeline: a rolling update', () => {
  test('reads the new tasks, their image, the target group and the drain from the service events', async () => {
    mockRollingDeploy();
    const timeline = await gatherTimeline(clients, rollingRef, () => T0 + 540_000);
    expect(timeline).toEqual({
      window: { start: T0, end: T0 + 531_000 },
      tasks: [
        {
          id: 't1',
          createdAt: T0 + 2000,
          pullStartedAt: T0 + 22_000,
          pullStoppedAt: T0 + 62_000,
          startedAt: T0 + 67_000,
        },
        {
          id: 't2',
          createdAt: T0 + 3000,
          pullStartedAt: T0 + 23_000,
          pullStoppedAt: T0 + 63_000,
          startedAt: T0 + 68_000,
        },
      ],
      imageBytes: 1_000_000_000,
      containerHealthCheck: {
        container: 'api',
        intervalSeconds: 15,
        timeoutSeconds: 5,
        retries: 3,
        startPeriodSeconds: 0,
      },
      newTargetGroup: {
        name: 'api',
        healthCheckIntervalSeconds: 30,
        healthCheckTimeoutSeconds: 5,
        healthyThresholdCount: 5,
        deregistrationDelaySeconds: 300,
      },
      oldTargetGroup: {
        name: 'api',
        healthCheckIntervalSeconds: 30,
        healthCheckTimeoutSeconds: 5,
        healthyThresholdCount: 5,
        deregistrationDelaySeconds: 300,
      },
      rolling: { desiredCount: 2, minimumHealthyPercent: 100, maximumPercent: 200 },
      healthy: {
        at: T0 + 218_000,
        source: "first old task released: service event 'has begun draining connections'",
      },
      drains: [
        {
          start: T0 + 218_000,
          end: T0 + 518_000,
          source:
            "service events (service api) 'has begun draining connections' 09:03:38Z → 'has stopped … running tasks' 09:08:38Z",
        },
      ],
      notes: [],
    });
    expect(ecsMock.commandCalls(ListTasksCommand)[0]!.args[0].input).toEqual({
      cluster: 'prod',
      serviceName: 'api',
      desiredStatus: 'RUNNING',
      maxResults: 100,
    });
    // The digest the tasks pulled, not the tag that may have moved since.
    expect(ecrMock.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'api',
      registryId: ACCOUNT,
      imageIds: [{ imageDigest: DIGEST }],
    });
    expect(elbMock.commandCalls(DescribeTargetGroupsCommand)[0]!.args[0].input).toEqual({
      TargetGroupArns: [TG_API],
    });
  });

  test('explained: the deregistration delay first, then the health checks, then the 1 GB pull', async () => {
    mockRollingDeploy();
    const result = attributeCauses(await gatherTimeline(clients, rollingRef, () => T0 + 540_000));
    expect(result.causes.map((c) => [c.id, c.seconds, c.savesSeconds])).toEqual([
      ['deregistration-delay', 300, 270],
      ['health-checks', 150, 130],
      ['image-pull', 40, 20],
      ['provisioning', 20, undefined],
      ['container-start', 5, undefined],
    ]);
  });

  test('a denied DescribeTargetGroups costs the target group causes, with a note naming the permission', async () => {
    mockRollingDeploy();
    elbMock.on(DescribeTargetGroupsCommand).rejects(
      new ElasticLoadBalancingV2ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/deploy/gh is not authorized to perform: elasticloadbalancing:DescribeTargetGroups`,
      }),
    );
    const timeline = await gatherTimeline(clients, rollingRef, () => T0 + 540_000);
    expect(timeline.newTargetGroup).toBeUndefined();
    expect(timeline.oldTargetGroup).toBeUndefined();
    expect(timeline.notes).toEqual([
      'elasticloadbalancing:DescribeTargetGroups was denied, so the health check and deregistration delay settings are unknown (grant elasticloadbalancing:DescribeTargetGroups to explain it)',
    ]);
    const causes = attributeCauses(timeline).causes;
    // The drain is still measured from the events; without the setting nothing is suggested.
    expect(causes.find((c) => c.id === 'deregistration-delay')).toMatchObject({ seconds: 300 });
    expect(causes.find((c) => c.id === 'deregistration-delay')?.suggestion).toBeUndefined();
  });

  test('a denied DescribeTargetGroupAttributes loses only the deregistration delay', async () => {
    mockRollingDeploy();
    elbMock.on(DescribeTargetGroupAttributesCommand).rejects(
      new ElasticLoadBalancingV2ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'not authorized',
      }),
    );
    const timeline = await gatherTimeline(clients, rollingRef);
    expect(timeline.newTargetGroup?.healthyThresholdCount).toBe(5);
    expect(timeline.oldTargetGroup?.deregistrationDelaySeconds).toBeUndefined();
    expect(timeline.notes).toEqual([
      'elasticloadbalancing:DescribeTargetGroupAttributes was denied, so the deregistration delay of api is unknown (grant elasticloadbalancing:DescribeTargetGroupAttributes to explain it)',
    ]);
  });

  test('an image outside ECR leaves the size unknown rather than half counted', async () => {
    mockRollingDeploy();
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        taskDefinitionArn: TD_NEW,
        containerDefinitions: [
          { name: 'api', image: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/api:v2.4.0` },
          { name: 'proxy', image: 'envoyproxy/envoy:v1.30.1' },
        ],
      },
    });
    ecrMock.on(DescribeImagesCommand, { repositoryName: 'envoyproxy/envoy' }).rejects(
      new RepositoryNotFoundException({
        message: `The repository with name 'envoyproxy/envoy' does not exist in the registry with id '${ACCOUNT}'`,
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const timeline = await gatherTimeline(clients, rollingRef);
    expect(timeline.imageBytes).toBeUndefined();
    expect(timeline.notes).toHaveLength(1);
    expect(timeline.notes[0]).toMatch(
      /^ecr:DescribeImages failed, so the size of envoyproxy\/envoy:v1.30.1 is unknown and the pull rate is not worked out: AWS RepositoryNotFoundException/,
    );
    const pull = attributeCauses(timeline).causes.find((c) => c.id === 'image-pull');
    expect(pull).toMatchObject({ seconds: 40, value: 'unknown' });
    expect(pull?.savesSeconds).toBeUndefined();
  });

  test('minimumHealthyPercent below 100 lets old tasks go first: no healthy moment is claimed', async () => {
    mockRollingDeploy(
      rollingService({
        deploymentConfiguration: { maximumPercent: 100, minimumHealthyPercent: 50 },
      }),
    );
    const timeline = await gatherTimeline(clients, rollingRef);
    expect(timeline.healthy).toBeUndefined();
    expect(timeline.rolling).toEqual({
      desiredCount: 2,
      minimumHealthyPercent: 50,
      maximumPercent: 100,
    });
  });

  test('DescribeServices denied: no events, no window start from the deployment, notes say so', async () => {
    mockRollingDeploy();
    ecsMock.on(DescribeServicesCommand).rejects(
      new AccessDeniedException({
        message: 'User is not authorized to perform: ecs:DescribeServices',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const timeline = await gatherTimeline(clients, rollingRef);
    expect(timeline.drains).toBeUndefined();
    expect(timeline.rolling).toBeUndefined();
    expect(timeline.newTargetGroup).toBeUndefined();
    // Without the deployment's creation time the window starts at the first new task of api:13.
    expect(timeline.window.start).toBe(T0 + 2000);
    expect(timeline.notes).toEqual([
      'ecs:DescribeServices was denied, so the service settings and events are unknown (grant ecs:DescribeServices to explain it)',
      'the creation time of deployment ecs-svc/9223370000000000001 could not be read: the explained window starts at the first new task',
    ]);
  });

  test('reads every page of the service tasks and describes them 100 at a time', async () => {
    mockRollingDeploy();
    const page = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => taskArn(`p${from + i}`));
    ecsMock
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: page(0, 100), nextToken: 'page-2' })
      .resolvesOnce({ taskArns: page(100, 30) });
    ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((arn, i) => fargateTask(arn.split('/').at(-1)!, TD_NEW, 1 + i)),
      failures: [],
    }));
    const timeline = await gatherTimeline(clients, rollingRef);
    expect(timeline.tasks).toHaveLength(130);
    expect(ecsMock.commandCalls(ListTasksCommand)[1]!.args[0].input.nextToken).toBe('page-2');
    expect(
      ecsMock.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input.tasks?.length),
    ).toEqual([100, 30]);
  });
});

const DEPLOYMENT_ID = 'd-ABCDEFGHI';

function lifecycle(name: string, start: number, end: number): LifecycleEvent {
  return { lifecycleEventName: name, startTime: at(start), endTime: at(end), status: 'Succeeded' };
}

function mockCodeDeploy() {
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      rollingService({
        serviceName: 'web',
        deploymentController: { type: 'CODE_DEPLOY' },
        deployments: [],
        // The original task set drains once CodeDeploy terminates it after the wait.
        events: events([
          [4686, '(service web, taskSet ecs-svc/1111) has begun draining connections on 2 tasks.'],
          [
            4806,
            '(service web, taskSet ecs-svc/1111) has stopped 2 running tasks: (task a) (task b).',
          ],
        ]),
      }),
    ],
  });
  ecsMock.on(ListTasksCommand).resolves({ taskArns: [taskArn('g1')] });
  ecsMock.on(DescribeTasksCommand).resolves({ tasks: [fargateTask('g1', TD_NEW, 10)] });
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: { containerDefinitions: [{ name: 'api', image: 'api:v2.4.0' }] },
  });
  ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageSizeInBytes: 200e6 }] });
  cdMock.on(GetDeploymentCommand).resolves({
    deploymentInfo: {
      applicationName: 'AppECS-prod-web',
      deploymentGroupName: 'DgpECS-prod-web',
      deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent15Minutes',
      deploymentId: DEPLOYMENT_ID,
      status: 'Succeeded',
      createTime: at(0),
      completeTime: at(905),
      computePlatform: 'ECS',
    },
  });
  cdMock.on(GetDeploymentTargetCommand).resolves({
    deploymentTarget: {
      deploymentTargetType: 'ECSTarget',
      ecsTarget: {
        deploymentId: DEPLOYMENT_ID,
        targetId: 'prod:web',
        status: 'Succeeded',
        lifecycleEvents: [
          lifecycle('BeforeInstall', 1, 2),
          lifecycle('Install', 2, 180),
          lifecycle('AfterInstall', 180, 181),
          lifecycle('AllowTestTraffic', 181, 183),
          lifecycle('AfterAllowTestTraffic', 183, 184),
          lifecycle('BeforeAllowTraffic', 184, 185),
          lifecycle('AllowTraffic', 185, 185 + 900),
          lifecycle('AfterAllowTraffic', 1085, 1086),
        ],
        taskSetsInfo: [
          { identifer: 'ecs-svc/1111', taskSetLabel: 'Blue', targetGroup: { name: 'web-blue' } },
          { identifer: 'ecs-svc/2222', taskSetLabel: 'Green', targetGroup: { name: 'web-green' } },
        ],
      },
    },
  });
  cdMock.on(GetDeploymentGroupCommand).resolves({
    deploymentGroupInfo: {
      applicationName: 'AppECS-prod-web',
      deploymentGroupName: 'DgpECS-prod-web',
      blueGreenDeploymentConfiguration: {
        terminateBlueInstancesOnDeploymentSuccess: {
          action: 'TERMINATE',
          terminationWaitTimeInMinutes: 60,
        },
        deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
      },
    },
  });
  cdMock.on(GetDeploymentConfigCommand).resolves({
    deploymentConfigInfo: {
      deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent15Minutes',
      computePlatform: 'ECS',
      trafficRoutingConfig: {
        type: 'TimeBasedCanary',
        timeBasedCanary: { canaryPercentage: 10, canaryInterval: 15 },
      },
    },
  });
  elbMock.on(DescribeTargetGroupsCommand).resolves({
    TargetGroups: [
      targetGroup('web-blue', 'arn:tg/web-blue'),
      targetGroup('web-green', 'arn:tg/web-green', {
        HealthCheckIntervalSeconds: 10,
        HealthyThresholdCount: 3,
      }),
    ],
  });
  elbMock
    .on(DescribeTargetGroupAttributesCommand, { TargetGroupArn: 'arn:tg/web-blue' })
    .resolves(attributes('120'))
    .on(DescribeTargetGroupAttributesCommand, { TargetGroupArn: 'arn:tg/web-green' })
    .resolves(attributes('300'));
}

describe('gatherTimeline: a CodeDeploy blue/green deployment', () => {
  test('Green is where tasks turn healthy, Blue is what drains; the lifecycle gives the waits', async () => {
    mockCodeDeploy();
    const timeline = await gatherTimeline(clients, {
      cluster: 'prod',
      service: 'web',
      deploymentId: DEPLOYMENT_ID,
      taskDefinitionArn: TD_NEW,
      endedAt: T0 + 1_100_000,
    });
    expect(cdMock.commandCalls(GetDeploymentTargetCommand)[0]!.args[0].input).toEqual({
      deploymentId: DEPLOYMENT_ID,
      targetId: 'prod:web',
    });
    expect(elbMock.commandCalls(DescribeTargetGroupsCommand)[0]!.args[0].input).toEqual({
      Names: ['web-green', 'web-blue'],
    });
    expect(timeline.window).toEqual({ start: T0, end: T0 + 1_100_000 });
    expect(timeline.newTargetGroup).toMatchObject({
      name: 'web-green',
      healthCheckIntervalSeconds: 10,
      deregistrationDelaySeconds: 300,
    });
    expect(timeline.oldTargetGroup).toMatchObject({
      name: 'web-blue',
      deregistrationDelaySeconds: 120,
    });
    expect(timeline.healthy).toEqual({
      at: T0 + 180_000,
      source: 'CodeDeploy Install event end (the replacement task set is running and healthy)',
    });
    expect(timeline.trafficShifting).toEqual({
      setting: 'deployment config CodeDeployDefault.ECSCanary10Percent15Minutes',
      kind: 'canary',
      percentage: 10,
      intervalMinutes: 15,
      span: {
        start: T0 + 185_000,
        end: T0 + 1_085_000,
        source: 'CodeDeploy AllowTraffic event 09:03:05Z → 09:18:05Z',
      },
    });
    // Succeeded before AfterAllowTraffic ended in this record: no termination span is invented.
    expect(timeline.terminationWait).toEqual({
      setting: 'deployment group DgpECS-prod-web',
      minutes: 60,
    });
    expect(timeline.drains).toHaveLength(1);
    expect(timeline.notes).toEqual([]);
  });

  test('the termination wait is measured from AfterAllowTraffic to completeTime', async () => {
    mockCodeDeploy();
    cdMock.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        applicationName: 'AppECS-prod-web',
        deploymentGroupName: 'DgpECS-prod-web',
        deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent15Minutes',
        status: 'Succeeded',
        createTime: at(0),
        completeTime: at(1086 + 3600 + 120),
      },
    });
    const timeline = await gatherTimeline(clients, {
      cluster: 'prod',
      service: 'web',
      deploymentId: DEPLOYMENT_ID,
      taskDefinitionArn: TD_NEW,
      endedAt: T0 + (1086 + 3600 + 120) * 1000,
    });
    expect(timeline.terminationWait?.span).toMatchObject({
      start: T0 + 1_086_000,
      end: T0 + 4_806_000,
    });
    // The drain at the end of the span is the deregistration delay's, the rest the wait's.
    const causes = attributeCauses(timeline).causes.map((c) => [c.id, c.seconds, c.savesSeconds]);
    expect(causes.slice(0, 3)).toEqual([
      ['termination-wait', 3600, 3600],
      ['traffic-shifting', 900, 600],
      ['deregistration-delay', 120, 90],
    ]);
  });

  test('denied CodeDeploy reads drop their causes and say which permission is missing', async () => {
    mockCodeDeploy();
    const denied = () =>
      Object.assign(
        new Error('User is not authorized to perform: codedeploy:GetDeploymentConfig'),
        {
          name: 'AccessDeniedException',
          $metadata: { httpStatusCode: 400 },
        },
      );
    cdMock.on(GetDeploymentConfigCommand).rejects(denied());
    const timeline = await gatherTimeline(clients, {
      cluster: 'prod',
      service: 'web',
      deploymentId: DEPLOYMENT_ID,
      taskDefinitionArn: TD_NEW,
      endedAt: T0 + 1_100_000,
    });
    expect(timeline.trafficShifting).toBeUndefined();
    expect(timeline.notes).toEqual([
      'codedeploy:GetDeploymentConfig was denied, so the traffic shifting settings are unknown (grant codedeploy:GetDeploymentConfig to explain it)',
    ]);
    expect(attributeCauses(timeline).causes.map((c) => c.id)).not.toContain('traffic-shifting');
  });
});

describe('gatherTimeline: an ECS native canary deployment', () => {
  const ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:service-deployment/prod/api/Jk3lMnOpQrStUvWx`;

  function mockNative(alternate: Partial<TargetGroup>) {
    mockRollingDeploy(
      rollingService({
        deploymentConfiguration: { strategy: 'CANARY', bakeTimeInMinutes: 10 },
        loadBalancers: [
          {
            targetGroupArn: TG_API,
            containerName: 'api',
            containerPort: 3000,
            advancedConfiguration: {
              alternateTargetGroupArn: 'arn:tg/api-alt',
              productionListenerRule: 'arn:rule/prod',
              roleArn: `arn:aws:iam::${ACCOUNT}:role/ecs-lb`,
            },
          },
        ],
        events: [],
      }),
    );
    ecsMock.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: ARN,
          createdAt: at(0),
          startedAt: at(1),
          status: 'SUCCESSFUL',
          deploymentConfiguration: {
            strategy: 'CANARY',
            bakeTimeInMinutes: 10,
            canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: 20 },
          },
        },
      ],
      failures: [],
    });
    elbMock.on(DescribeTargetGroupsCommand).resolves({
      TargetGroups: [
        targetGroup('api', TG_API),
        targetGroup('api-alt', 'arn:tg/api-alt', alternate),
      ],
    });
  }

  const stages = [
    { name: 'SCALE_UP', startedAt: at(1).toISOString(), endedAt: at(100).toISOString() },
    {
      name: 'PRODUCTION_TRAFFIC_SHIFT',
      startedAt: at(110).toISOString(),
      endedAt: at(110 + 1200).toISOString(),
    },
    { name: 'BAKE_TIME', startedAt: at(1310).toISOString(), endedAt: at(1910).toISOString() },
  ];

  test("the deploy action's stages give the shift, the bake and the healthy moment", async () => {
    mockNative({});
    const timeline = await gatherTimeline(clients, {
      cluster: 'prod',
      service: 'api',
      deploymentId: ARN,
      taskDefinitionArn: TD_NEW,
      endedAt: T0 + 1_920_000,
      stages,
    });
    expect(deploymentKind(ARN)).toBe('service-deployment');
    expect(timeline.healthy?.at).toBe(T0 + 100_000);
    expect(timeline.trafficShifting).toMatchObject({
      setting: 'service api deploymentConfiguration.canaryConfiguration',
      kind: 'canary',
      percentage: 5,
      intervalMinutes: 20,
      span: { start: T0 + 110_000, end: T0 + 1_310_000 },
    });
    expect(timeline.bakeTime).toMatchObject({ minutes: 10, span: { start: T0 + 1_310_000 } });
    expect(timeline.newTargetGroup?.name).toBeDefined();
    expect(timeline.rolling).toBeUndefined();
  });

  test('two target groups that disagree are not claimed: ECS alternates between them', async () => {
    mockNative({ HealthyThresholdCount: 2 });
    const timeline = await gatherTimeline(clients, {
      cluster: 'prod',
      service: 'api',
      deploymentId: ARN,
      taskDefinitionArn: TD_NEW,
      endedAt: T0 + 1_920_000,
    });
    expect(timeline.newTargetGroup).toBeUndefined();
    expect(timeline.oldTargetGroup).toBeUndefined();
    expect(timeline.notes).toEqual([
      'target groups api and api-alt have different settings and ECS alternates between them: their health check and deregistration delay are not claimed',
    ]);
    // Without the stages the shift and bake are settings without spans: nothing is measured.
    expect(timeline.trafficShifting?.span).toBeUndefined();
    expect(timeline.bakeTime?.span).toBeUndefined();
  });
});

describe('reading service events', () => {
  const evs = events([
    [10, '(service api) has begun draining connections on 1 tasks.'],
    [20, '(service api, taskSet ecs-svc/1) has begun draining connections on 2 tasks.'],
    [40, '(service api) has stopped 1 running tasks: (task x).'],
    [50, '(service api, taskSet ecs-svc/1) has stopped 2 running tasks: (task y) (task z).'],
    [60, '(service api) has begun draining connections on 1 tasks.'],
  ]);

  test('pairs each drain with the stop of the same service or task set', () => {
    const spans = drainSpans(evs, T0, T0 + 100_000).map((s) => [
      (s.start - T0) / 1000,
      (s.end - T0) / 1000,
    ]);
    expect(spans).toEqual([
      [10, 40],
      [20, 50],
      [60, 100],
    ]);
  });

  test('a drain still going when read says so, and events before the deploy are ignored', () => {
    const spans = drainSpans(evs, T0 + 55_000, T0 + 100_000);
    expect(spans).toHaveLength(1);
    expect(spans[0]!.source).toBe(
      "service event (service api) 'has begun draining connections' 09:01:00Z, still draining when read at 09:01:40Z",
    );
  });

  test.each([
    [100, true, 10],
    [100, false, 40],
    [99, true, undefined],
  ])('minimumHealthyPercent %s, load balanced %s: healthy by %s s', (min, lb, expected) => {
    const mark = rollingHealthyMark(evs, T0 + 5000, min, lb);
    expect(mark === undefined ? undefined : (mark.at - T0) / 1000).toBe(expected);
  });
});

describe('deployment ids and clients', () => {
  test.each([
    ['d-ABCDEFGHI', 'codedeploy'],
    [`arn:aws:ecs:eu-west-1:${ACCOUNT}:service-deployment/prod/api/abc`, 'service-deployment'],
    ['ecs-svc/9223370000000000001', 'rolling'],
  ])('%s is a %s deployment', (id, kind) => {
    expect(deploymentKind(id)).toBe(kind);
  });

  test('every client is built with the suite settings: region, attempts, request timeout', async () => {
    const built = createTimelineClients({ region: 'ap-south-1', maxAttempts: 3 });
    for (const client of [built.ecs, built.elbv2, built.codedeploy, built.ecr(undefined)]) {
      expect(await client.config.region()).toBe('ap-south-1');
      expect(await client.config.maxAttempts()).toBe(3);
    }
    expect(await built.ecr('us-west-2').config.region()).toBe('us-west-2');
    expect(built.ecr('us-west-2')).toBe(built.ecr('us-west-2'));
  });
});
