import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionRequest,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import type { RunTaskInputs } from '../../../src/actions/run-task/inputs.ts';
import { type RunDeps, run } from '../../../src/actions/run-task/run.ts';
import { memoryLog } from '../../../src/lib/log.ts';

const ecs = mockClient(ECSClient);
const cw = mockClient(CloudWatchLogsClient);
beforeEach(() => {
  ecs.reset();
  cw.reset();
});

const REGION = 'us-east-1';
const TD_ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8';
const T0 = Date.parse('2025-03-01T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
const arn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/prod/${id}`;

/** DescribeTaskDefinition's answer for web:8, as the API reference shapes it. */
const liveDefinition: TaskDefinition = {
  taskDefinitionArn: TD_ARN,
  family: 'web',
  revision: 8,
  status: 'ACTIVE',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [
    {
      name: 'web',
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v2',
      essential: true,
      cpu: 0,
      command: ['npm', 'start'],
      environment: [],
      mountPoints: [],
      volumesFrom: [],
      portMappings: [],
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

const webService = {
  serviceName: 'web',
  status: 'ACTIVE',
  launchType: 'FARGATE' as const,
  platformVersion: 'LATEST',
  networkConfiguration: {
    awsvpcConfiguration: {
      subnets: ['subnet-0a1b2c3d4e5f60001'],
      securityGroups: ['sg-0a1b2c3d4e5f60001'],
      assignPublicIp: 'DISABLED' as const,
    },
  },
  tags: [{ key: 'team', value: 'payments' }],
};

/** A task as RunTask and DescribeTasks answer it, at one point of its life. */
function task(
  id: string,
  lastStatus: string,
  container: Record<string, unknown> = {},
  extra: Partial<Task> = {},
): Task {
  const started = ['RUNNING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'].includes(lastStatus);
  const stopping = ['STOPPING', 'DEPROVISIONING', 'STOPPED'].includes(lastStatus);
  return {
    taskArn: arn(id),
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
    taskDefinitionArn: TD_ARN,
    lastStatus,
    desiredStatus: stopping ? 'STOPPED' : 'RUNNING',
    launchType: 'FARGATE',
    createdAt: at(0),
    ...(started ? { startedAt: at(40) } : {}),
    ...(stopping
      ? {
          stoppingAt: at(70),
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
        }
      : {}),
    ...(lastStatus === 'STOPPED' ? { stoppedAt: at(100) } : {}),
    containers: [{ name: 'web', lastStatus: started ? 'RUNNING' : 'PENDING', ...container }],
    ...extra,
  };
}

const exited = (id: string, exitCode: number) =>
  task(id, 'STOPPED', { lastStatus: 'STOPPED', exitCode });

function inputs(over: Partial<RunTaskInputs> = {}): RunTaskInputs {
  return {
    taskDefinition: { kind: 'arn', ref: 'web' },
    cluster: 'prod',
    service: 'web',
    network: {},
    command: ['npm', 'run', 'migrate'],
    environment: [],
    count: 1,
    timeoutMs: 60_000,
    logs: true,
    onCancel: 'rollback',
    pollIntervalMs: 5_000,
    aws: {},
    ...over,
  };
}

/** A log stream as GetLogEvents pages it; tests append to `written`. */
function logStream(written: string[]) {
  cw.on(GetLogEventsCommand).callsFake((input: { nextToken?: string }) => {
    const from = input.nextToken ? Number(input.nextToken.split('/')[1]) : 0;
    if (input.nextToken && from === written.length) {
      return { events: [], nextForwardToken: input.nextToken, nextBackwardToken: input.nextToken };
    }
    return {
      events: written.slice(from).map((message, i) => ({ timestamp: T0 + i, message })),
      nextForwardToken: `f/${written.length}/s`,
      nextBackwardToken: `b/${from}/s`,
    };
  });
}

function setup(over: { onSleep?: (slept: number) => void } = {}) {
  const log = memoryLog();
  const printed: string[][] = [];
  const started: string[] = [];
  const controller = new AbortController();
  let now = T0;
  let sleeps = 0;
  const deps: RunDeps = {
    ecs: new ECSClient({ region: REGION }),
    logs: () => new CloudWatchLogsClient({ region: REGION }),
    log,
    printUntrusted: (lines) => {
      if (lines.length > 0) printed.push(lines);
    },
    region: REGION,
    signal: controller.signal,
    startedBy: 'fd-run-task-1001-abcd1234',
    clientToken: 'token-1',
    onStarted: (arns) => started.push(...arns),
    now: () => now,
    sleep: async (ms) => {
      now += ms;
      sleeps += 1;
      over.onSleep?.(sleeps);
    },
  };
  return { deps, log, printed, started, controller };
}

function standard() {
  ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: liveDefinition });
  ecs.on(DescribeServicesCommand).resolves({ services: [webService], failures: [] });
  ecs.on(RunTaskCommand).resolves({ tasks: [task('abc', 'PROVISIONING')], failures: [] });
}

describe('run-task: a migration that ends by itself', () => {
  test('exits 0: the task runs as the service does, its log is printed, the step passes', async () => {
    standard();
    const written = ['Running migrations'];
    logStream(written);
    ecs
      .on(DescribeTasksCommand)
      .resolvesOnce({ tasks: [task('abc', 'PENDING')] })
      .callsFakeOnce(() => {
        written.push('Applied 1', 'Migrations complete');
        return { tasks: [task('abc', 'RUNNING')] };
      })
      .resolves({ tasks: [exited('abc', 0)] });
    const { deps, log, printed, started } = setup();
    const result = await run(inputs(), deps);

    expect(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input).toEqual({
      cluster: 'prod',
      taskDefinition: TD_ARN,
      count: 1,
      startedBy: 'fd-run-task-1001-abcd1234',
      clientToken: 'token-1',
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      networkConfiguration: webService.networkConfiguration,
      overrides: { containerOverrides: [{ name: 'web', command: ['npm', 'run', 'migrate'] }] },
      tags: [{ key: 'team', value: 'payments' }],
    });
    expect(ecs.commandCalls(DescribeServicesCommand)[0]!.args[0].input).toEqual({
      cluster: 'prod',
      services: ['web'],
      include: ['TAGS'],
    });
    expect(started).toEqual([arn('abc')]);
    expect(printed.flat()).toEqual(['Running migrations', 'Applied 1', 'Migrations complete']);
    expect(log.lines).toEqual(
      expect.arrayContaining([
        'Task abc: PENDING',
        'Task abc: RUNNING',
        'Task abc: STOPPED',
        "Task abc stopped: container 'web' exited 0",
      ]),
    );
    expect(result).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      stoppedReason: 'Essential container in task exited',
      durationSeconds: 100,
      taskDefinitionArn: TD_ARN,
      registered: false,
      logUrl:
        'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Fecs$252Fweb/log-events/web$252Fweb$252Fabc',
      lastLines: ['Running migrations', 'Applied 1', 'Migrations complete'],
      message: "run-task web:8: task abc exited 0 (container 'web') in 1m40s",
    });
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });

  test('exits 3: the step fails with the exit code, ECS’s reason and the last log lines', async () => {
    standard();
    logStream([
      'Running migrations',
      'Applied 1',
      'ERROR: relation "orders" does not exist',
      'Failed',
    ]);
    ecs
      .on(DescribeTasksCommand)
      .resolvesOnce({ tasks: [task('abc', 'RUNNING')] })
      .resolves({ tasks: [exited('abc', 3)] });
    const { deps } = setup();
    const result = await run(inputs(), deps);
    expect(result.status).toBe('failed');
    expect(result.exitCode).toBe(3);
    expect(result.message).toBe(
      `run-task web:8: task abc container 'web' exited with code 3: Essential container in task exited; last log lines: "Applied 1" | "ERROR: relation \\"orders\\" does not exist" | "Failed"`,
    );
    expect(result.outcome).toBe(
      "run-task web:8: task abc container 'web' exited with code 3: Essential container in task exited",
    );
  });

  test('an image that cannot be pulled: never started, no log to read, CannotPullContainerError', async () => {
    standard();
    const reason =
      'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v2: not found';
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        task(
          'abc',
          'STOPPED',
          { lastStatus: 'STOPPED', reason },
          { startedAt: undefined, stopCode: 'TaskFailedToStart', stoppedReason: reason },
        ),
      ],
    });
    const { deps } = setup();
    const result = await run(inputs(), deps);
    expect(result).toMatchObject({ status: 'failed', stoppedReason: reason });
    expect(result.exitCode).toBeUndefined();
    expect(result.message).toBe(`run-task web:8: task abc never started: ${reason}`);
    expect(cw.commandCalls(GetLogEventsCommand)).toHaveLength(0);
  });

  test('RunTask failures (no capacity): the step fails with ECS’s reason, nothing is followed', async () => {
    standard();
    const capacity =
      'Capacity is unavailable at this time. Please try again later or in a different availability zone';
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: capacity }] });
    const { deps } = setup();
    const result = await run(inputs(), deps);
    expect(result.status).toBe('failed');
    expect(result.message).toBe(
      `run-task web:8: RunTask could not start 1 of 1 task(s): ${capacity}`,
    );
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });

  test('two tasks: each line says which task printed it; one failure fails the step and is reported', async () => {
    standard();
    ecs.on(RunTaskCommand).resolves({
      tasks: [task('aaaaaaaa11', 'PROVISIONING'), task('bbbbbbbb22', 'PROVISIONING')],
    });
    logStream(['hello']);
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [exited('aaaaaaaa11', 0), exited('bbbbbbbb22', 2)],
    });
    const { deps, printed } = setup();
    const result = await run(inputs({ count: 2 }), deps);
    expect(printed.flat()).toEqual(['[aaaaaaaa] hello', '[bbbbbbbb] hello']);
    expect(result).toMatchObject({ status: 'failed', exitCode: 2 });
    expect(result.outcome).toBe(
      "run-task web:8: task bbbbbbbb22 container 'web' exited with code 2: Essential container in task exited",
    );
  });
});

describe('run-task: runs that do not end by themselves', () => {
  test('past its timeout the task is stopped with StopTask and the step fails', async () => {
    standard();
    logStream([]);
    ecs.on(DescribeTasksCommand).resolves({ tasks: [task('abc', 'RUNNING')] });
    ecs.on(StopTaskCommand).resolves({ task: task('abc', 'STOPPING') });
    const { deps } = setup();
    const result = await run(inputs({ timeoutMs: 60_000 }), deps);
    expect(ecs.commandCalls(StopTaskCommand)[0]!.args[0].input).toEqual({
      cluster: 'prod',
      task: arn('abc'),
      reason: 'Timed out after 1m (fargate-delivery run-task)',
    });
    expect(result).toMatchObject({
      status: 'timed-out',
      settled: true,
      message: 'run-task web:8: timed out after 1m with task abc RUNNING; stopped with StopTask',
    });
    // Polls every 5 s of a 1-minute timeout, and one last look at the deadline.
    expect(ecs.commandCalls(DescribeTasksCommand).length).toBeLessThanOrEqual(14);
  });

  test('a StopTask that fails leaves the run unsettled, for the post step to stop', async () => {
    standard();
    logStream([]);
    ecs.on(DescribeTasksCommand).resolves({ tasks: [task('abc', 'RUNNING')] });
    ecs.on(StopTaskCommand).rejects(
      Object.assign(new Error('Service Unavailable'), {
        name: 'ServerException',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    const { deps } = setup();
    const result = await run(inputs(), deps);
    expect(result.settled).toBe(false);
    expect(result.message).toBe(
      'run-task web:8: timed out after 1m with task abc RUNNING; StopTask failed (AWS ServerException (HTTP 500): Service Unavailable): it may still be running',
    );
  });

  test('cancelled (SIGINT) with on-cancel rollback: the task is stopped', async () => {
    standard();
    logStream([]);
    ecs.on(DescribeTasksCommand).resolves({ tasks: [task('abc', 'RUNNING')] });
    ecs.on(StopTaskCommand).resolves({ task: task('abc', 'STOPPING') });
    const ctl = setup({ onSleep: (n) => n === 2 && ctl.controller.abort('SIGINT') });
    const result = await run(inputs(), ctl.deps);
    expect(ecs.commandCalls(StopTaskCommand)[0]!.args[0].input.reason).toBe(
      'The workflow run was cancelled (fargate-delivery run-task)',
    );
    expect(result).toMatchObject({
      status: 'cancelled',
      message: 'run-task web:8: cancelled (SIGINT) with task abc RUNNING; stopped with StopTask',
    });
  });

  test('cancelled with on-cancel leave: the task keeps running and the message says so', async () => {
    standard();
    logStream([]);
    ecs.on(DescribeTasksCommand).resolves({ tasks: [task('abc', 'RUNNING')] });
    const ctl = setup({ onSleep: () => ctl.controller.abort('SIGTERM') });
    const result = await run(inputs({ onCancel: 'leave' }), ctl.deps);
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    expect(result.message).toBe(
      'run-task web:8: cancelled (SIGTERM) with task abc RUNNING; left running (on-cancel: leave)',
    );
    expect(result.tasks[0]!.action).toBe('left running (on-cancel: leave)');
  });

  test('cancelled before RunTask: nothing is started', async () => {
    standard();
    const ctl = setup();
    ctl.controller.abort('SIGINT');
    const result = await run(inputs(), ctl.deps);
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    expect(result).toMatchObject({ status: 'cancelled', tasks: [] });
  });

  test('server errors while following are waited out; the run still ends on the task’s exit', async () => {
    standard();
    logStream([]);
    const unavailable = Object.assign(new Error('Service Unavailable'), {
      name: 'ServerException',
      $metadata: { httpStatusCode: 500 },
    });
    ecs
      .on(DescribeTasksCommand)
      .rejectsOnce(unavailable)
      .rejectsOnce(unavailable)
      .resolves({ tasks: [exited('abc', 0)] });
    const { deps, log } = setup();
    const result = await run(inputs(), deps);
    expect(result.status).toBe('succeeded');
    expect(log.lines.filter((l) => l.endsWith('Service Unavailable; trying again'))).toHaveLength(
      2,
    );
  });

  test('losing access while following stops the task (on-cancel rollback) and fails', async () => {
    standard();
    logStream([]);
    ecs.on(DescribeTasksCommand).rejects(
      Object.assign(new Error('not authorized to perform: ecs:DescribeTasks'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    ecs.on(StopTaskCommand).resolves({ task: task('abc', 'STOPPING') });
    const { deps } = setup();
    const result = await run(inputs(), deps);
    expect(result.status).toBe('failed');
    expect(result.message).toBe(
      'run-task web:8: lost track of task abc (PROVISIONING): AWS AccessDeniedException (HTTP 400): not authorized to perform: ecs:DescribeTasks; stopped with StopTask',
    );
  });
});

describe('run-task: before the task starts', () => {
  const file = (request: Partial<RegisterTaskDefinitionRequest>) =>
    ({
      kind: 'file',
      file: {
        file: 'td.json',
        request: {
          family: 'web',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: liveDefinition.containerDefinitions!.map((c) => ({
            name: c.name,
            image: c.image,
            command: c.command,
            logConfiguration: c.logConfiguration,
          })),
          ...request,
        } as RegisterTaskDefinitionRequest,
      },
    }) as const;

  test('a file identical to the family’s latest revision is run without registering a copy', async () => {
    standard();
    ecs.on(DescribeTasksCommand).resolves({ tasks: [exited('abc', 0)] });
    logStream([]);
    const { deps, log } = setup();
    const result = await run(inputs({ taskDefinition: file({}) }), deps);
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)[0]!.args[0].input).toEqual({
      taskDefinition: 'web',
    });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(result).toMatchObject({ taskDefinitionArn: TD_ARN, registered: false });
    expect(log.lines).toContain(
      'The task definition is the same as the latest web:8: not registering a copy',
    );
  });

  test('a changed file is registered and the new revision runs', async () => {
    standard();
    const registered = {
      ...liveDefinition,
      taskDefinitionArn: TD_ARN.replace(':8', ':9'),
      revision: 9,
    };
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: registered });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [exited('abc', 0)] });
    logStream([]);
    const { deps } = setup();
    const result = await run(inputs({ taskDefinition: file({ memory: '1024' }) }), deps);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input).toMatchObject({
      family: 'web',
      memory: '1024',
    });
    expect(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input.taskDefinition).toBe(
      registered.taskDefinitionArn,
    );
    expect(result).toMatchObject({
      registered: true,
      taskDefinitionArn: registered.taskDefinitionArn,
    });
  });

  test('a service without an awsvpc network to copy, and no subnets: refused before RunTask', async () => {
    standard();
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [{ ...webService, networkConfiguration: undefined }], failures: [] });
    const { deps } = setup();
    await expect(run(inputs(), deps)).rejects.toThrow(
      "service: 'web' has no awsvpc network configuration to copy: give subnets",
    );
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  test('a service that does not exist is named', async () => {
    standard();
    ecs.on(DescribeServicesCommand).resolves({
      services: [],
      failures: [{ arn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web', reason: 'MISSING' }],
    });
    const { deps } = setup();
    await expect(run(inputs(), deps)).rejects.toThrow(
      "service: no service 'web' in cluster 'prod'",
    );
  });

  test('a container without awslogs still runs; the summary notes its output was not streamed', async () => {
    standard();
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        ...liveDefinition,
        containerDefinitions: [
          { ...liveDefinition.containerDefinitions![0]!, logConfiguration: undefined },
        ],
      },
    });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [exited('abc', 0)] });
    const { deps } = setup();
    const result = await run(inputs(), deps);
    expect(result.status).toBe('succeeded');
    expect(result.notes).toEqual([
      "container 'web' has no log configuration: its output is not streamed here",
    ]);
    expect(result.logUrl).toBeUndefined();
  });
});
