import {
  type Deployment,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type Service,
  type ServiceDeployment,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import {
  type EcsWait,
  interpretNative,
  interpretRolling,
  rollingSettledOn,
  waitForNative,
  waitForRolling,
} from '../../../src/actions/deploy/ecs.ts';
import { Progress } from '../../../src/actions/deploy/progress.ts';
import { at, fakeTime, recordingLog } from './helpers.ts';

const TD = (rev: number) => `arn:aws:ecs:eu-west-1:210987654321:task-definition/api:${rev}`;
const NEW = TD(13);
const OLD = TD(12);

function deployment(
  id: string,
  status: string,
  td: string,
  extra: Partial<Deployment> = {},
): Deployment {
  return {
    id,
    status,
    taskDefinition: td,
    desiredCount: 3,
    runningCount: 3,
    pendingCount: 0,
    failedTasks: 0,
    createdAt: at(0),
    updatedAt: at(0),
    rolloutState: 'COMPLETED',
    ...extra,
  };
}

function service(deployments: Deployment[], events: string[] = []): Service {
  return {
    serviceName: 'api',
    status: 'ACTIVE',
    desiredCount: 3,
    taskDefinition: deployments.find((d) => d.status === 'PRIMARY')?.taskDefinition,
    deploymentController: { type: 'ECS' },
    deployments,
    events: events.map((message, i) => ({
      id: `e${events.length - i}`,
      message,
      createdAt: at(100 - i),
    })),
  };
}

describe('reading a rolling update', () => {
  test.each([
    {
      when: 'new tasks are starting',
      svc: service([
        deployment('ecs-svc/2', 'PRIMARY', NEW, {
          rolloutState: 'IN_PROGRESS',
          runningCount: 1,
          pendingCount: 2,
        }),
        deployment('ecs-svc/1', 'ACTIVE', OLD),
      ]),
      expected: { deployed: false, complete: false, failed: false, status: 'IN_PROGRESS' },
    },
    {
      when: 'the rollout completed but old tasks still drain',
      svc: service([
        deployment('ecs-svc/2', 'PRIMARY', NEW),
        deployment('ecs-svc/1', 'ACTIVE', OLD, { runningCount: 3 }),
      ]),
      expected: { deployed: true, complete: false, failed: false, status: 'COMPLETED' },
    },
    {
      when: 'the service has one steady deployment on the new revision',
      svc: service([deployment('ecs-svc/2', 'PRIMARY', NEW)]),
      expected: { deployed: true, complete: true, failed: false },
    },
    {
      when: 'the circuit breaker rolled back to the previous revision',
      svc: service([
        deployment('ecs-svc/3', 'PRIMARY', OLD, { rolloutState: 'IN_PROGRESS' }),
        deployment('ecs-svc/2', 'ACTIVE', NEW, {
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        }),
      ]),
      expected: { deployed: false, failed: true, rolledBack: true, status: 'FAILED' },
    },
  ])('$when', ({ svc, expected }) => {
    expect(interpretRolling(svc, 'ecs-svc/2', NEW)).toMatchObject(expected);
  });

  test('a circuit-breaker rollback is reported with ECS’s reason and the revision it went back to', () => {
    const view = interpretRolling(
      service([
        deployment('ecs-svc/3', 'PRIMARY', OLD),
        deployment('ecs-svc/2', 'ACTIVE', NEW, {
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        }),
      ]),
      'ecs-svc/2',
      NEW,
    );
    expect(view.reason).toBe(
      'ECS deployment ecs-svc/2 of api:13 failed: ECS deployment circuit breaker: tasks failed to start.; rolled back to api:12',
    );
  });

  test('once ECS stops listing the failed deployment, its reason comes from the last poll that saw it', () => {
    const failed = deployment('ecs-svc/2', 'ACTIVE', NEW, {
      rolloutState: 'FAILED',
      rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
    });
    const view = interpretRolling(
      service([deployment('ecs-svc/3', 'PRIMARY', OLD)]),
      'ecs-svc/2',
      NEW,
      failed,
    );
    expect(view).toMatchObject({ failed: true, rolledBack: true });
    expect(view.reason).toBe(
      'ECS deployment ecs-svc/2 of api:13 failed: ECS deployment circuit breaker: tasks failed to start.; rolled back to api:12',
    );
  });

  test('a service settled on the revision is one with a single completed deployment', () => {
    expect(rollingSettledOn(service([deployment('a', 'PRIMARY', NEW)]), NEW)).toBe(true);
    expect(rollingSettledOn(service([deployment('a', 'PRIMARY', OLD)]), NEW)).toBe(false);
    expect(
      rollingSettledOn(
        service([deployment('a', 'PRIMARY', NEW, { rolloutState: 'IN_PROGRESS' })]),
        NEW,
      ),
    ).toBe(false);
  });
});

function sd(
  status: string,
  stage?: string,
  extra: Partial<ServiceDeployment> = {},
): ServiceDeployment {
  return {
    serviceDeploymentArn: 'arn:aws:ecs:eu-west-1:210987654321:service-deployment/prod/api/abc',
    status: status as ServiceDeployment['status'],
    ...(stage ? { lifecycleStage: stage as ServiceDeployment['lifecycleStage'] } : {}),
    createdAt: at(0),
    startedAt: at(1),
    updatedAt: at(1),
    ...extra,
  };
}

describe('reading a native blue/green deployment', () => {
  test.each([
    {
      when: 'pending',
      deployment: sd('PENDING'),
      expected: { ready: false, deployed: false, complete: false },
    },
    {
      when: 'scaling up',
      deployment: sd('IN_PROGRESS', 'SCALE_UP'),
      expected: { ready: false, deployed: false },
    },
    {
      when: 'shifting test traffic',
      deployment: sd('IN_PROGRESS', 'TEST_TRAFFIC_SHIFT'),
      expected: { ready: false },
    },
    {
      when: 'test traffic is on the new revision',
      deployment: sd('IN_PROGRESS', 'POST_TEST_TRAFFIC_SHIFT'),
      expected: { ready: true, deployed: false },
    },
    {
      when: 'shifting production traffic',
      deployment: sd('IN_PROGRESS', 'PRODUCTION_TRAFFIC_SHIFT'),
      expected: { ready: true, deployed: false },
    },
    {
      when: 'baking',
      deployment: sd('IN_PROGRESS', 'BAKE_TIME'),
      expected: { deployed: true, complete: false },
    },
    {
      when: 'successful',
      deployment: sd('SUCCESSFUL', 'CLEAN_UP'),
      expected: { deployed: true, complete: true, terminal: true },
    },
    {
      when: 'rolling back',
      deployment: sd('ROLLBACK_IN_PROGRESS', 'PRODUCTION_TRAFFIC_SHIFT'),
      expected: { failed: true, terminal: false, deployed: false },
    },
    {
      when: 'rolled back',
      deployment: sd('ROLLBACK_SUCCESSFUL'),
      expected: { failed: true, terminal: true, rolledBack: true },
    },
    {
      when: 'stopped',
      deployment: sd('STOPPED'),
      expected: { failed: true, terminal: true, rolledBack: false },
    },
  ])('$when', ({ deployment: d, expected }) => {
    expect(interpretNative(d)).toMatchObject(expected);
  });

  test('ROLLBACK_SUCCESSFUL is a failure that names the failed hook and the rollback reason', () => {
    const view = interpretNative(
      sd('ROLLBACK_SUCCESSFUL', undefined, {
        statusReason: 'Service deployment rolled back.',
        rollback: { reason: 'Lifecycle hook failed during POST_TEST_TRAFFIC_SHIFT.' },
        lifecycleHookDetails: [
          {
            hookId: 'h1',
            targetArn: 'arn:aws:lambda:eu-west-1:210987654321:function:check',
            status: 'FAILED',
          },
        ],
      }),
    );
    expect(view.reason).toBe(
      'ECS service deployment arn:aws:ecs:eu-west-1:210987654321:service-deployment/prod/api/abc ROLLBACK_SUCCESSFUL; Service deployment rolled back.; rollback: Lifecycle hook failed during POST_TEST_TRAFFIC_SHIFT.; hook arn:aws:lambda:eu-west-1:210987654321:function:check FAILED',
    );
  });
});

const ecsMock = mockClient(ECSClient);
const ecs = new ECSClient({ region: 'eu-west-1' });

function wait(clock: ReturnType<typeof fakeTime>, overrides: Partial<EcsWait> = {}): EcsWait {
  return {
    cluster: 'prod',
    service: 'api',
    taskDefinitionArn: NEW,
    previousTaskDefinitionArn: OLD,
    waitUntil: 'deployed',
    rollbackOnTimeout: true,
    timeoutText: '30m',
    timing: {
      intervalMs: 5000,
      deadline: clock.now() + 1_800_000,
      now: clock.now,
      sleep: clock.sleep,
      random: clock.random,
    },
    knownEvents: [],
    ...overrides,
  };
}

/** Answers DescribeServices with the step that matches the number of calls so far. */
function servicesInOrder(steps: Service[]) {
  let n = 0;
  ecsMock.on(DescribeServicesCommand).callsFake(() => {
    const svc = steps[Math.min(n, steps.length - 1)];
    n += 1;
    return { services: [svc], failures: [] };
  });
}

beforeEach(() => ecsMock.reset());

describe('waiting for a rolling update', () => {
  test('deployed when the PRIMARY deployment on the new revision is COMPLETED', async () => {
    const clock = fakeTime();
    const { log, text } = recordingLog();
    servicesInOrder([
      service([
        deployment('ecs-svc/2', 'PRIMARY', NEW, {
          rolloutState: 'IN_PROGRESS',
          runningCount: 0,
          pendingCount: 3,
        }),
        deployment('ecs-svc/1', 'ACTIVE', OLD),
      ]),
      service(
        [
          deployment('ecs-svc/2', 'PRIMARY', NEW, { updatedAt: at(90) }),
          deployment('ecs-svc/1', 'ACTIVE', OLD),
        ],
        ['(service api) (deployment ecs-svc/2) deployment completed.'],
      ),
    ]);
    const outcome = await waitForRolling(
      ecs,
      new Progress(log, clock.now),
      wait(clock),
      'ecs-svc/2',
    );
    expect(outcome).toMatchObject({ reached: true, status: 'COMPLETED', rolledBack: false });
    expect(outcome.phases).toEqual([
      {
        name: 'ROLLOUT',
        startedAt: at(0).toISOString(),
        endedAt: at(90).toISOString(),
        seconds: 90,
      },
    ]);
    expect(text()).toContain('event: (service api) (deployment ecs-svc/2) deployment completed.');
    expect(ecsMock.commandCalls(DescribeServicesCommand)).toHaveLength(2);
  });

  test('a circuit-breaker rollback fails with the reason, the last events and why tasks stopped', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    servicesInOrder([
      service([
        deployment('ecs-svc/2', 'PRIMARY', NEW, { rolloutState: 'IN_PROGRESS' }),
        deployment('ecs-svc/1', 'ACTIVE', OLD),
      ]),
      service(
        [
          deployment('ecs-svc/3', 'PRIMARY', OLD, { rolloutState: 'IN_PROGRESS' }),
          deployment('ecs-svc/2', 'ACTIVE', NEW, {
            rolloutState: 'FAILED',
            rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
          }),
        ],
        [
          '(service api) rolling back to deployment ecs-svc/1.',
          '(service api) (deployment ecs-svc/2) deployment failed: tasks failed to start.',
        ],
      ),
    ]);
    ecsMock
      .on(ListTasksCommand)
      .resolves({ taskArns: ['arn:aws:ecs:eu-west-1:210987654321:task/prod/t1'] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: 'arn:aws:ecs:eu-west-1:210987654321:task/prod/t1',
          taskDefinitionArn: NEW,
          stoppedReason: 'Task failed ELB health checks in (target-group api)',
          containers: [{ name: 'api', exitCode: 137 }],
        },
      ],
    });
    const outcome = await waitForRolling(
      ecs,
      new Progress(log, clock.now),
      wait(clock),
      'ecs-svc/2',
    );
    expect(outcome.reached).toBe(false);
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.failure).toBe(
      'ECS deployment ecs-svc/2 of api:13 failed: ECS deployment circuit breaker: tasks failed to start.; rolled back to api:12; last service events: (service api) (deployment ecs-svc/2) deployment failed: tasks failed to start. | (service api) rolling back to deployment ecs-svc/1.; stopped tasks: Task failed ELB health checks in (target-group api), api: exit code 137',
    );
  });

  test('a timeout rolls the service back to the revision it ran before', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    servicesInOrder([
      service([
        deployment('ecs-svc/2', 'PRIMARY', NEW, {
          rolloutState: 'IN_PROGRESS',
          runningCount: 1,
          pendingCount: 2,
        }),
        deployment('ecs-svc/1', 'ACTIVE', OLD),
      ]),
    ]);
    ecsMock.on(UpdateServiceCommand).resolves({ service: service([]) });
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    const w = wait(clock, { timeoutText: '1m' });
    w.timing.deadline = clock.now() + 60_000;
    const outcome = await waitForRolling(ecs, new Progress(log, clock.now), w, 'ecs-svc/2');
    expect(ecsMock.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
      cluster: 'prod',
      service: 'api',
      taskDefinition: OLD,
    });
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.failure).toMatch(
      /^timed out after 1m waiting for 'deployed': the deployment of api:13 was IN_PROGRESS: 1\/3 running, 2 pending; rolled back: service updated to api:12/,
    );
  });
});

describe('waiting for a native blue/green deployment', () => {
  const ARN = 'arn:aws:ecs:eu-west-1:210987654321:service-deployment/prod/api/abc';
  function serviceDeployments(steps: ServiceDeployment[]) {
    let n = 0;
    ecsMock.on(DescribeServiceDeploymentsCommand).callsFake(() => {
      const d = steps[Math.min(n, steps.length - 1)];
      n += 1;
      return { serviceDeployments: [d], failures: [] };
    });
    ecsMock.on(DescribeServicesCommand).resolves({ services: [service([])], failures: [] });
  }

  test('deployed once production traffic has shifted; stages become phases', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    serviceDeployments([
      sd('IN_PROGRESS', 'SCALE_UP', { updatedAt: at(5) }),
      sd('IN_PROGRESS', 'TEST_TRAFFIC_SHIFT', { updatedAt: at(60) }),
      sd('IN_PROGRESS', 'PRODUCTION_TRAFFIC_SHIFT', {
        updatedAt: at(80),
        targetServiceRevision: {
          requestedProductionTrafficWeight: 10,
          requestedTestTrafficWeight: 100,
        },
      }),
      sd('IN_PROGRESS', 'BAKE_TIME', {
        updatedAt: at(400),
        targetServiceRevision: {
          requestedProductionTrafficWeight: 100,
          requestedTestTrafficWeight: 100,
        },
      }),
    ]);
    const outcome = await waitForNative(ecs, new Progress(log, clock.now), wait(clock), ARN);
    expect(outcome).toMatchObject({ reached: true, status: 'IN_PROGRESS' });
    expect(outcome.phases.map((p) => [p.name, p.seconds])).toEqual([
      ['SCALE_UP', 59],
      ['TEST_TRAFFIC_SHIFT', 20],
      ['PRODUCTION_TRAFFIC_SHIFT', 320],
    ]);
    expect(outcome.traffic.map((p) => p.weights.production)).toEqual([10, 100]);
  });

  test('a rollback is followed to its end and fails the step', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    serviceDeployments([
      sd('IN_PROGRESS', 'POST_TEST_TRAFFIC_SHIFT'),
      sd('ROLLBACK_IN_PROGRESS', 'POST_TEST_TRAFFIC_SHIFT', {
        rollback: { reason: 'Lifecycle hook failed during POST_TEST_TRAFFIC_SHIFT.' },
      }),
      sd('ROLLBACK_SUCCESSFUL', 'POST_TEST_TRAFFIC_SHIFT', {
        finishedAt: at(200),
        rollback: { reason: 'Lifecycle hook failed during POST_TEST_TRAFFIC_SHIFT.' },
      }),
    ]);
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    const outcome = await waitForNative(ecs, new Progress(log, clock.now), wait(clock), ARN);
    expect(ecsMock.commandCalls(DescribeServiceDeploymentsCommand)).toHaveLength(3);
    expect(outcome).toMatchObject({
      reached: false,
      status: 'ROLLBACK_SUCCESSFUL',
      rolledBack: true,
    });
    expect(outcome.failure).toContain(
      'ROLLBACK_SUCCESSFUL; rollback: Lifecycle hook failed during POST_TEST_TRAFFIC_SHIFT.',
    );
  });

  test('a timeout stops the service deployment with ROLLBACK', async () => {
    const clock = fakeTime();
    const { log } = recordingLog();
    serviceDeployments([sd('IN_PROGRESS', 'PRODUCTION_TRAFFIC_SHIFT')]);
    ecsMock.on(StopServiceDeploymentCommand).resolves({ serviceDeploymentArn: ARN });
    const w = wait(clock, { timeoutText: '1m' });
    w.timing.deadline = clock.now() + 60_000;
    const outcome = await waitForNative(ecs, new Progress(log, clock.now), w, ARN);
    expect(ecsMock.commandCalls(StopServiceDeploymentCommand)[0]?.args[0].input).toEqual({
      serviceDeploymentArn: ARN,
      stopType: 'ROLLBACK',
    });
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.failure).toBe(
      `timed out after 1m waiting for 'deployed': service deployment ${ARN} was IN_PROGRESS at PRODUCTION_TRAFFIC_SHIFT; stopped it with rollback`,
    );
  });
});
