import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { start } from './index.ts';
import { loadScenario, type Scenario } from './scenario.ts';
import { type Sandbox, startSandbox } from './server.ts';

const SPEED = 600;
const sandboxes: Sandbox[] = [];

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
});

const credentials = { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox' };

async function migrations(edit: (s: Scenario) => void = () => {}, speed = SPEED) {
  const scenario = structuredClone(loadScenario('migrations'));
  edit(scenario);
  const sb = await startSandbox(scenario, { speed, registry: false });
  sandboxes.push(sb);
  const config = { endpoint: sb.endpoint, region: sb.scenario.region, credentials, maxAttempts: 1 };
  return { sb, ecs: new ECSClient(config), logs: new CloudWatchLogsClient(config) };
}

const network: NonNullable<RunTaskCommandInput['networkConfiguration']> = {
  awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60001'], assignPublicIp: 'DISABLED' },
};

function run(command: string[], extra: Partial<RunTaskCommandInput> = {}): RunTaskCommandInput {
  return {
    cluster: 'prod',
    taskDefinition: 'web',
    launchType: 'FARGATE',
    networkConfiguration: network,
    overrides: { containerOverrides: [{ name: 'web', command }] },
    ...extra,
  };
}

async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${ms} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function describeTask(ecs: ECSClient, arn: string): Promise<Task> {
  const out = await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [arn] }));
  return out.tasks![0]!;
}

/** Every lastStatus a task goes through, polled until STOPPED. */
async function statuses(
  ecs: ECSClient,
  arn: string,
  seen: string[] = [],
): Promise<{ seen: string[]; last: Task }> {
  const last = await until(
    async () => {
      const task = await describeTask(ecs, arn);
      if (seen.at(-1) !== task.lastStatus) seen.push(task.lastStatus!);
      return task;
    },
    (t) => t.lastStatus === 'STOPPED',
  );
  return { seen, last };
}

describe('RunTask and the standalone task lifecycle (sandbox)', () => {
  it('runs a task through PROVISIONING → STOPPED with the exit code and the reason', async () => {
    // Slow enough that a poll every 10 ms sees each state, even on a loaded machine.
    const { ecs } = await migrations(undefined, 120);
    const out = await ecs.send(new RunTaskCommand(run(['npm', 'run', 'migrate:broken'])));
    expect(out.failures).toEqual([]);
    const started = out.tasks![0]!;
    expect(started).toMatchObject({
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      group: 'family:web',
      launchType: 'FARGATE',
      overrides: {
        containerOverrides: [{ name: 'web', command: ['npm', 'run', 'migrate:broken'] }],
      },
    });
    const { seen, last } = await statuses(ecs, started.taskArn!, [started.lastStatus!]);
    expect(seen).toEqual(
      expect.arrayContaining(['PROVISIONING', 'PENDING', 'RUNNING', 'DEPROVISIONING', 'STOPPED']),
    );
    expect(seen.indexOf('RUNNING')).toBeLessThan(seen.indexOf('DEPROVISIONING'));
    expect(last).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ name: 'web', lastStatus: 'STOPPED', exitCode: 3 }],
    });
    const times = [
      last.createdAt,
      last.pullStartedAt,
      last.startedAt,
      last.stoppingAt,
      last.executionStoppedAt,
      last.stoppedAt,
    ];
    expect(times.every((t) => t instanceof Date)).toBe(true);
    const ms = times.map((t) => t!.getTime());
    expect([...ms].sort((a, b) => a - b)).toEqual(ms);
    // The container ran its 10 simulated seconds.
    expect(last.stoppingAt!.getTime() - last.startedAt!.getTime()).toBe(10_000);
  });

  it('writes the container output to its awslogs stream, read with GetLogEvents and FilterLogEvents', async () => {
    const { ecs, logs } = await migrations();
    const out = await ecs.send(
      new RunTaskCommand(
        run(['npm', 'run', 'migrate'], {
          overrides: {
            containerOverrides: [
              {
                name: 'web',
                command: ['npm', 'run', 'migrate'],
                environment: [{ name: 'APP_ENV', value: 'staging' }],
              },
            ],
          },
        }),
      ),
    );
    const task = out.tasks![0]!;
    const id = task.taskArn!.split('/').at(-1)!;
    await statuses(ecs, task.taskArn!);
    const stream = { logGroupName: '/ecs/web', logStreamName: `web/web/${id}` };
    const first = await logs.send(
      new GetLogEventsCommand({ ...stream, startFromHead: true, limit: 3 }),
    );
    expect(first.events!.map((e) => e.message)).toEqual([
      'Running migrations against staging',
      'Applied 20240101_create_users',
      'Applied 20240315_add_orders_index',
    ]);
    const second = await logs.send(
      new GetLogEventsCommand({
        ...stream,
        startFromHead: true,
        nextToken: first.nextForwardToken,
      }),
    );
    expect(second.events!.map((e) => e.message)).toEqual(['Migrations complete']);
    // At the end of the stream AWS answers with the token it was given.
    const end = await logs.send(
      new GetLogEventsCommand({
        ...stream,
        startFromHead: true,
        nextToken: second.nextForwardToken,
      }),
    );
    expect(end).toMatchObject({ events: [], nextForwardToken: second.nextForwardToken });
    const filtered = await logs.send(
      new FilterLogEventsCommand({ logGroupName: '/ecs/web', filterPattern: 'Applied', limit: 1 }),
    );
    expect(filtered.events!.map((e) => [e.logStreamName, e.message])).toEqual([
      [`web/web/${id}`, 'Applied 20240101_create_users'],
    ]);
    const rest = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: '/ecs/web',
        filterPattern: 'Applied',
        nextToken: filtered.nextToken,
      }),
    );
    expect(rest.events!.map((e) => e.message)).toEqual(['Applied 20240315_add_orders_index']);
    expect(rest.nextToken).toBeUndefined();
  });

  it('shows only the lines a running task has printed so far', async () => {
    const { ecs, logs } = await migrations(undefined, 30);
    const out = await ecs.send(new RunTaskCommand(run(['npm', 'run', 'migrate'])));
    const arn = out.tasks![0]!.taskArn!;
    const stream = { logGroupName: '/ecs/web', logStreamName: `web/web/${arn.split('/').at(-1)}` };
    await expect(logs.send(new GetLogEventsCommand(stream))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    const partial = await until(
      () =>
        logs
          .send(new GetLogEventsCommand({ ...stream, startFromHead: true }))
          .catch(() => undefined),
      (r) => (r?.events?.length ?? 0) > 0,
    );
    expect((await describeTask(ecs, arn)).lastStatus).toBe('RUNNING');
    expect(partial!.events!.length).toBeLessThan(4);
  });

  it('StopTask stops a running task: UserInitiated, the reason given, SIGTERM exit code', async () => {
    const { ecs } = await migrations();
    const out = await ecs.send(new RunTaskCommand(run(['sleep', 'infinity'])));
    const arn = out.tasks![0]!.taskArn!;
    await until(
      () => describeTask(ecs, arn),
      (t) => t.lastStatus === 'RUNNING',
    );
    const stopped = await ecs.send(
      new StopTaskCommand({ cluster: 'prod', task: arn, reason: 'Timed out after 5m' }),
    );
    expect(stopped.task).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated' });
    const { last } = await statuses(ecs, arn);
    expect(last).toMatchObject({
      stopCode: 'UserInitiated',
      stoppedReason: 'Timed out after 5m',
      containers: [{ exitCode: 143 }],
    });
  });

  it('a missing image never starts: TaskFailedToStart with CannotPullContainerError', async () => {
    const { ecs } = await migrations((s) => {
      const td = s.ecs!.taskDefinitions![0]!;
      (td.containerDefinitions as Array<{ image: string }>)[0]!.image =
        '210987654321.dkr.ecr.eu-west-1.amazonaws.com/web:missing';
    });
    const out = await ecs.send(new RunTaskCommand(run(['npm', 'run', 'migrate'])));
    const { seen, last } = await statuses(ecs, out.tasks![0]!.taskArn!);
    expect(seen).not.toContain('RUNNING');
    expect(last.stopCode).toBe('TaskFailedToStart');
    expect(last.stoppedReason).toMatch(
      /^CannotPullContainerError: pull image manifest has been retried 5 time\(s\): failed to resolve ref .*web:missing: .*: not found$/,
    );
    expect(last.containers![0]!.exitCode).toBeUndefined();
    expect(last.containers![0]!.reason).toBe(last.stoppedReason);
  });

  it('an image the sandbox registry lacks fails to pull; one it holds starts', async () => {
    const scenario = structuredClone(loadScenario('migrations'));
    scenario.ecr = { repositories: [{ name: 'web', images: [{ tag: 'v1.4.0' }] }] };
    const sb = await start(scenario, { speed: SPEED });
    sandboxes.push(sb);
    const ecs = new ECSClient({
      endpoint: sb.endpoint,
      region: sb.scenario.region,
      credentials,
      maxAttempts: 1,
    });
    const family = (image: string) =>
      ecs.send(
        new RegisterTaskDefinitionCommand({
          family: image.endsWith('v1.4.0') ? 'held' : 'lacking',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'web', image, command: ['npm', 'run', 'migrate'] }],
        }),
      );
    await family(`${sb.registry!.host}/web:v1.4.0`);
    await family(`${sb.registry!.host}/web:v9.9.9`);
    const outcome = async (taskDefinition: string) => {
      const out = await ecs.send(new RunTaskCommand({ ...run([]), taskDefinition, overrides: {} }));
      return (await statuses(ecs, out.tasks![0]!.taskArn!)).last;
    };
    expect(await outcome('held')).toMatchObject({
      stopCode: 'EssentialContainerExited',
      containers: [{ exitCode: 0 }],
    });
    const lacking = await outcome('lacking');
    expect(lacking.stopCode).toBe('TaskFailedToStart');
    expect(lacking.stoppedReason).toContain(
      `failed to resolve ref ${sb.registry!.host}/web:v9.9.9`,
    );
  });

  it('a log group that does not exist fails the start with ResourceInitializationError', async () => {
    const { ecs } = await migrations((s) => {
      s.logs = { groups: [] };
    });
    const out = await ecs.send(new RunTaskCommand(run(['npm', 'run', 'migrate'])));
    const { last } = await statuses(ecs, out.tasks![0]!.taskArn!);
    expect(last.stopCode).toBe('TaskFailedToStart');
    expect(last.stoppedReason).toMatch(/^ResourceInitializationError: .*log group does not exist/);
  });

  it('answers RunTask as AWS does: validation errors, capacity failures, idempotent client tokens', async () => {
    const { ecs } = await migrations();
    await expect(
      ecs.send(new RunTaskCommand(run(['x'], { networkConfiguration: undefined }))),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
    });
    await expect(
      ecs.send(
        new RunTaskCommand(
          run(['x'], { overrides: { containerOverrides: [{ name: 'worker', command: ['x'] }] } }),
        ),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(ecs.send(new RunTaskCommand(run(['x'], { count: 11 })))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });

    const again = run(['npm', 'run', 'migrate'], { clientToken: 'step-1', count: 2 });
    const first = await ecs.send(new RunTaskCommand(again));
    const second = await ecs.send(new RunTaskCommand(again));
    expect(first.tasks!.map((t) => t.taskArn)).toHaveLength(2);
    expect(second.tasks!.map((t) => t.taskArn)).toEqual(first.tasks!.map((t) => t.taskArn));
    const listed = await ecs.send(
      new ListTasksCommand({ cluster: 'prod', family: 'web', startedBy: undefined }),
    );
    expect(listed.taskArns).toEqual(expect.arrayContaining(first.tasks!.map((t) => t.taskArn!)));

    const full = await migrations((s) => {
      s.ecs!.runTask!.capacityUnavailable = true;
    });
    const none = await full.ecs.send(new RunTaskCommand(run(['x'])));
    expect(none.tasks).toEqual([]);
    expect(none.failures![0]!.reason).toMatch(/^Capacity is unavailable at this time/);
  });

  it('lists a run by its startedBy, and DescribeTasks returns its tags only when asked', async () => {
    const { ecs } = await migrations();
    const out = await ecs.send(
      new RunTaskCommand(
        run(['npm', 'run', 'migrate'], {
          startedBy: 'fd-run-task-1001-abc',
          tags: [{ key: 'team', value: 'payments' }],
        }),
      ),
    );
    const arn = out.tasks![0]!.taskArn!;
    const listed = await ecs.send(
      new ListTasksCommand({ cluster: 'prod', startedBy: 'fd-run-task-1001-abc' }),
    );
    expect(listed.taskArns).toEqual([arn]);
    const plain = await describeTask(ecs, arn);
    expect(plain.tags).toBeUndefined();
    const tagged = await ecs.send(
      new DescribeTasksCommand({ cluster: 'prod', tasks: [arn], include: ['TAGS'] }),
    );
    expect(tagged.tasks![0]!.tags).toEqual([{ key: 'team', value: 'payments' }]);
  });
});

const aws = '/usr/bin/aws';

describe.skipIf(!existsSync(aws))('the AWS CLI against the sandbox', () => {
  it('runs a task and reads its log with aws ecs run-task and aws logs get-log-events', async () => {
    const { sb, ecs } = await migrations();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      AWS_ACCESS_KEY_ID: 'AKIDSANDBOX',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      AWS_REGION: sb.scenario.region,
      AWS_PAGER: '',
    };
    const cli = async (...args: string[]) =>
      JSON.parse(
        (
          await promisify(execFile)(
            aws,
            // This CLI predates AWS_ENDPOINT_URL, so the endpoint goes on the command line.
            [...args, '--endpoint-url', sb.endpoint, '--output', 'json'],
            { env },
          )
        ).stdout,
      ) as Record<string, unknown>;
    const started = await cli(
      'ecs',
      'run-task',
      '--cluster',
      'prod',
      '--task-definition',
      'web:7',
      '--launch-type',
      'FARGATE',
      '--network-configuration',
      'awsvpcConfiguration={subnets=[subnet-0a1b2c3d4e5f60001]}',
      '--overrides',
      JSON.stringify({ containerOverrides: [{ name: 'web', command: ['npm', 'run', 'migrate'] }] }),
    );
    const arn = (started.tasks as Array<{ taskArn: string }>)[0]!.taskArn;
    await statuses(ecs, arn);
    const events = await cli(
      'logs',
      'get-log-events',
      '--log-group-name',
      '/ecs/web',
      '--log-stream-name',
      `web/web/${arn.split('/').at(-1)}`,
      '--start-from-head',
    );
    expect((events.events as Array<{ message: string }>).map((e) => e.message)).toContain(
      'Migrations complete',
    );
  });
});
