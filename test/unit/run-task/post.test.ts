import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import { cleanUp, parseSavedRun, type SavedRun } from '../../../src/actions/run-task/post.ts';
import { memoryLog } from '../../../src/lib/log.ts';

const ecs = mockClient(ECSClient);
beforeEach(() => ecs.reset());

const arn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/prod/${id}`;
const saved: SavedRun = {
  cluster: 'prod',
  region: 'us-east-1',
  startedBy: 'fd-run-task-1001-abcd1234',
  onCancel: 'rollback',
};
const deps = () => ({ ecs: new ECSClient({ region: 'us-east-1' }), log: memoryLog() });

describe('the post step after a killed main step', () => {
  test('stops the tasks still running, found by saved ARN and by startedBy', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [arn('lost')] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        { taskArn: arn('known'), lastStatus: 'RUNNING', desiredStatus: 'RUNNING' },
        { taskArn: arn('lost'), lastStatus: 'PENDING', desiredStatus: 'RUNNING' },
      ],
    });
    ecs.on(StopTaskCommand).resolves({});
    const result = await cleanUp(saved, [arn('known')], deps());
    expect(ecs.commandCalls(ListTasksCommand)[0]!.args[0].input).toEqual({
      cluster: 'prod',
      startedBy: 'fd-run-task-1001-abcd1234',
      desiredStatus: 'RUNNING',
    });
    expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input.task)).toEqual([
      arn('known'),
      arn('lost'),
    ]);
    expect(result.message).toBe(
      'run-task post: the step ended without stopping task known, lost on prod: stopped known, lost with StopTask',
    );
  });

  test('with on-cancel leave nothing is stopped and the task is named', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [{ taskArn: arn('known'), lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }],
    });
    const result = await cleanUp({ ...saved, onCancel: 'leave' }, [arn('known')], deps());
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    expect(result.message).toBe(
      'run-task post: the step ended without dealing with task known on prod: left it running (on-cancel: leave)',
    );
  });

  test('tasks that stopped or are stopping need nothing', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        { taskArn: arn('a'), lastStatus: 'STOPPED', desiredStatus: 'STOPPED' },
        { taskArn: arn('b'), lastStatus: 'DEPROVISIONING', desiredStatus: 'STOPPED' },
      ],
    });
    const result = await cleanUp(saved, [arn('a'), arn('b')], deps());
    expect(result.message).toBeUndefined();
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });

  test('no task found: nothing is asked of DescribeTasks', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    const result = await cleanUp(saved, [], deps());
    expect(result.message).toBeUndefined();
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });

  test('reads only a well-formed saved run', () => {
    expect(parseSavedRun(JSON.stringify(saved))).toEqual(saved);
    expect(parseSavedRun('')).toBeUndefined();
    expect(parseSavedRun('{not json')).toBeUndefined();
    expect(parseSavedRun('{"cluster": 1}')).toBeUndefined();
  });
});
