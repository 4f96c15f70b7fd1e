// The run-task bundle against the sandbox (test/sandbox/scenarios/migrations.yaml): a service
// prod/web whose task definition runs migrations by command, its output in CloudWatch Logs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { type RunOptions, runAction } from '../../harness/index.ts';
import { runnerCommands } from '../../harness/runner-commands.ts';
import { type Sandbox, start } from '../../sandbox/index.ts';
import type { StandaloneTaskRecord } from '../../sandbox/services/ecs-run-task.ts';

const ACTION = 'run-task';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sandbox(): Promise<Sandbox> {
  const sb = await start('migrations', { speed: 60, registry: false });
  cleanups.push(() => sb.stop());
  return sb;
}

function runTask(sb: Sandbox, inputs: Record<string, string>, options: RunOptions = {}) {
  return runAction(ACTION, {
    ...options,
    env: { ...sb.env, ...options.env },
    inputs: {
      'task-definition-arn': 'web',
      cluster: 'prod',
      service: 'web',
      'poll-interval': '200ms',
      ...inputs,
    },
  });
}

/** The standalone tasks the sandbox has started. */
function tasks(sb: Sandbox): StandaloneTaskRecord[] {
  return sb.ecs.state.tasks.filter((t) => sb.ecs.runTasks.isStandalone(t));
}

async function eventually(done: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('sandbox state not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('run-task from its bundle (sandbox)', () => {
  test('a migration that succeeds: its log lines appear in the step log while it runs', async () => {
    const sb = await sandbox();
    const result = await runTask(sb, {
      command: 'npm run migrate',
      'environment-variables': 'APP_ENV=staging',
    });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toContain('Running migrations against staging');
    expect(result.log).toContain('Migrations complete');
    // The lines arrive between the task's RUNNING and STOPPED, not after the fact.
    const log = result.log;
    expect(log.indexOf(': RUNNING')).toBeLessThan(log.indexOf('Running migrations'));
    expect(log.indexOf('Migrations complete')).toBeLessThan(log.indexOf(': STOPPED'));
    const [task] = tasks(sb);
    expect(JSON.parse(result.outputs['task-arns']!)).toEqual([task!.arn]);
    expect(result.outputs).toMatchObject({
      'exit-code': '0',
      'stopped-reason': 'Essential container in task exited',
      'task-definition-arn': 'arn:aws:ecs:eu-west-1:210987654321:task-definition/web:7',
    });
    expect(Number(result.outputs['duration-seconds'])).toBeGreaterThan(60);
    expect(result.outputs['log-url']).toContain(`log-events/web$252Fweb$252F${task!.id}`);
    expect(result.annotations).toEqual([
      expect.objectContaining({
        level: 'notice',
        message: expect.stringMatching(/^run-task web:7: task \w+ exited 0/),
      }),
    ]);
    expect(result.summary).toContain('### ✅ Task of `web:7` exited 0');
    expect(result.summary).toContain('Migrations complete');
    // It ran as the service runs: its subnets, security group and tags.
    expect(sb.callsTo('RunTask')[0]!.params).toMatchObject({
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
          securityGroups: ['sg-0a1b2c3d4e5f60001'],
        },
      },
      tags: [
        { key: 'team', value: 'payments' },
        { key: 'env', value: 'production' },
      ],
    });
    expect(result.post?.annotations.filter((a) => a.level !== 'debug')).toEqual([]);
  });

  test('a migration that exits 3: the step fails with exit code 3 and the last log lines', async () => {
    const sb = await sandbox();
    const result = await runTask(sb, { command: '["npm", "run", "migrate:broken"]' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs['exit-code']).toBe('3');
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(
      /^run-task web:7: task \w+ container 'web' exited with code 3: Essential container in task exited; last log lines: "Applied 20240101_create_users" \| "ERROR: relation \\"orders\\" does not exist" \| "Migration 20240315_add_orders_index failed"$/,
    );
    expect(result.summary).toContain('| Exit code | 3 |');
    expect(result.summary).toContain('ERROR: relation "orders" does not exist');
    expect(result.stdout).not.toMatch(/\n\s+at /);
  });

  test('an image that cannot be pulled: the task never starts and the step says why', async () => {
    const sb = await sandbox();
    const workspace = mkdtempSync(path.join(tmpdir(), 'run-task-e2e-'));
    cleanups.push(() => rmSync(workspace, { recursive: true, force: true }));
    const definition = {
      family: 'web',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        {
          name: 'web',
          image: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/web:missing',
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/ecs/web', 'awslogs-stream-prefix': 'web' },
          },
        },
      ],
    };
    writeFileSync(path.join(workspace, 'td.json'), JSON.stringify(definition));
    const result = await runTask(
      sb,
      { 'task-definition-arn': '', 'task-definition': 'td.json', command: 'npm run migrate' },
      { workspace },
    );
    expect(result.exitCode).toBe(1);
    expect(result.outputs['task-definition-arn']).toBe(
      'arn:aws:ecs:eu-west-1:210987654321:task-definition/web:8',
    );
    expect(result.outputs['exit-code']).toBe('');
    expect(result.outputs['stopped-reason']).toMatch(/^CannotPullContainerError: /);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^run-task web:8: task \w+ never started: CannotPullContainerError: pull image manifest has been retried 5 time\(s\): failed to resolve ref .*web:missing/,
      ),
    ]);
    expect(tasks(sb)[0]!.stopCode).toBe('TaskFailedToStart');
  });

  test('a task past its timeout is stopped and the step fails', async () => {
    const sb = await sandbox();
    const result = await runTask(sb, { command: 'sleep infinity', timeout: '2s' });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^run-task web:7: timed out after 2s with task \w+ RUNNING; stopped with StopTask$/,
      ),
    ]);
    expect(result.outputs['stopped-reason']).toBe('Timed out after 2s (fargate-delivery run-task)');
    const [task] = tasks(sb);
    expect(task).toMatchObject({
      stopCode: 'UserInitiated',
      stoppedReason: 'Timed out after 2s (fargate-delivery run-task)',
    });
    expect(result.summary).toContain('⏱️ Task of `web:7` timed out');
    // Every exit reports: the task was stopped, so the post step has nothing left to do.
    expect(result.post?.annotations.filter((a) => a.level !== 'debug')).toEqual([]);
  });

  test('a burst of 5xx answers longer than the SDK retries is waited out', async () => {
    const sb = await sandbox();
    sb.faults.set([
      {
        kind: 'error',
        status: 503,
        service: 'ecs',
        operation: 'DescribeTasks',
        after: 1,
        count: 8,
      },
    ]);
    const result = await runTask(sb, { command: 'npm run migrate', 'aws-max-attempts': '2' });
    expect(result.exitCode, result.log).toBe(0);
    expect(sb.callsTo('DescribeTasks').filter((c) => c.fault).length).toBe(8);
    expect(result.log).toMatch(
      /DescribeTasks \(cluster [^)]*\): ServiceUnavailableException.*; trying again/,
    );
  });

  test('a DescribeTasks that never answers does not hold the step past its timeout', async () => {
    const sb = await sandbox();
    sb.faults.set([
      { kind: 'latency', latencyMs: 120_000, service: 'ecs', operation: 'DescribeTasks', after: 2 },
    ]);
    // Without a deadline on each call the step would wait out the SDK's 30 s request timeout
    // at least once; the harness kills it at 25 s, which then fails the exit code check.
    const result = await runTask(
      sb,
      { command: 'sleep infinity', timeout: '3s' },
      { timeoutMs: 25_000 },
    );
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(
      /^run-task web:7: timed out after 3s with task \w+ \w+; stopped with StopTask$/,
    );
    expect(tasks(sb)[0]!.stopCode).toBe('UserInitiated');
  });

  test('hostile log lines stay text: none becomes a workflow command', async () => {
    const sb = await sandbox();
    const result = await runTask(sb, { command: 'npm run hostile' });
    expect(result.exitCode, result.log).toBe(0);
    for (const line of [
      '::error::x',
      '::add-mask::hunter2',
      '##[error]legacy',
      '::guessed-token::',
    ]) {
      expect(result.stdout).toContain(line);
    }
    // What the runner itself would act on: only our notice.
    const commands = runnerCommands(result.stdout).filter((c) => c.command !== 'debug');
    expect(commands).toEqual([
      expect.objectContaining({
        command: 'notice',
        data: expect.stringMatching(/^run-task web:7: task \w+ exited 0/),
      }),
    ]);
    // In the summary the lines are one code block that nothing in them closes.
    const block = /^(`{4,})text\n([\s\S]*?)\n\1$/m.exec(result.summary);
    expect(block?.[2]).toContain('done <b>bold</b> @octocat');
    expect(result.summary.replace(block![0], '')).not.toContain('@octocat');
  });

  test('a bad input stops the step before any AWS call, in one line', async () => {
    const sb = await sandbox();
    const result = await runTask(sb, { service: '', command: 'npm run migrate' });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      'subnets: is required when no service is given to copy the network configuration from (give subnets or service)',
    ]);
    expect(sb.calls).toEqual([]);
    expect(result.summary).toContain('### ❌ run-task failed');
    expect(result.outputs).toMatchObject({ 'task-arns': '[]', 'exit-code': '' });
  });
});

describe('run-task cancelled mid-run (sandbox)', () => {
  const preload = path.join(import.meta.dirname, 'send-signal.cjs');

  /** Runs `npm start` (which never exits) and sends `signal` to the step once the task runs. */
  async function cancelWhileRunning(
    sb: Sandbox,
    signal: string,
    inputs: Record<string, string> = {},
  ) {
    const dir = mkdtempSync(path.join(tmpdir(), 'run-task-signal-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const flag = path.join(dir, 'send');
    const step = runTask(
      sb,
      { command: 'npm start', ...inputs },
      {
        env: {
          NODE_OPTIONS: `--require ${preload}`,
          RUN_TASK_E2E_SIGNAL_FILE: flag,
          RUN_TASK_E2E_SIGNAL: signal,
        },
      },
    );
    await eventually(() => tasks(sb).some((t) => t.runningAt <= sb.clock.now()));
    // Let the step see it running and print its first line.
    await eventually(() => sb.callsTo('GetLogEvents').length > 1);
    writeFileSync(flag, '');
    return step;
  }

  test('SIGINT stops the task and the step reports: outputs, summary, one annotation', async () => {
    const sb = await sandbox();
    const result = await cancelWhileRunning(sb, 'SIGINT');
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^run-task web:7: cancelled \(SIGINT\) with task \w+ RUNNING; stopped with StopTask$/,
      ),
    ]);
    expect(result.log).toContain('Received SIGINT: stopping the task');
    const [task] = tasks(sb);
    expect(JSON.parse(result.outputs['task-arns']!)).toEqual([task!.arn]);
    expect(task).toMatchObject({
      stopCode: 'UserInitiated',
      stoppedReason: 'The workflow run was cancelled (fargate-delivery run-task)',
    });
    expect(result.summary).toContain('🛑 Task of `web:7` cancelled');
    expect(result.post?.annotations.filter((a) => a.level !== 'debug')).toEqual([]);
  });

  test('SIGTERM with on-cancel leave: the task keeps running and the step says so', async () => {
    const sb = await sandbox();
    const result = await cancelWhileRunning(sb, 'SIGTERM', { 'on-cancel': 'leave' });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^run-task web:7: cancelled \(SIGTERM\) with task \w+ RUNNING; left running \(on-cancel: leave\)$/,
      ),
    ]);
    expect(sb.callsTo('StopTask')).toEqual([]);
    expect(tasks(sb)[0]!.standalone.stoppingAt).toBeUndefined();
  });

  test('a step killed outright (SIGKILL) leaves the task to the post step, which stops it', async () => {
    const sb = await sandbox();
    const result = await cancelWhileRunning(sb, 'SIGKILL');
    expect(result.exitCode).toBeNull();
    expect(sb.callsTo('StopTask')).toHaveLength(1);
    expect(result.post?.exitCode).toBe(0);
    expect(result.post?.warnings).toEqual([
      expect.stringMatching(
        /^run-task post: the step ended without stopping task \w+ on prod: stopped \w+ with StopTask$/,
      ),
    ]);
    expect(tasks(sb)[0]).toMatchObject({
      stopCode: 'UserInitiated',
      stoppedReason: 'The run-task step ended without stopping it (fargate-delivery post step)',
    });
    expect(result.post?.summary).toContain('run-task post step');
  });
});
