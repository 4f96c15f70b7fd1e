import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import {
  LogStream,
  LogTail,
  splitMessage,
  untrustedBlock,
} from '../../../src/actions/run-task/logs.ts';
import { runnerCommands } from '../../harness/runner-commands.ts';

const logs = mockClient(CloudWatchLogsClient);
beforeEach(() => logs.reset());

const client = new CloudWatchLogsClient({ region: 'us-east-1' });
const event = (message: string, timestamp = 1_740_823_200_000) => ({
  timestamp,
  message,
  ingestionTime: timestamp + 120,
});

describe('reading a task’s log stream forward', () => {
  test('follows nextForwardToken and stops where AWS hands back the same token', async () => {
    // A stream as GetLogEvents pages it: at most two events per page, the token a position.
    const written: string[] = ['Running migrations', 'Applied 1', 'Applied 2'];
    logs.on(GetLogEventsCommand).callsFake((input: { nextToken?: string }) => {
      const from = input.nextToken ? Number(input.nextToken.split('/')[1]) : 0;
      const to = Math.min(written.length, from + 2);
      if (input.nextToken && from === to) {
        return {
          events: [],
          nextForwardToken: input.nextToken,
          nextBackwardToken: input.nextToken,
        };
      }
      return {
        events: written.slice(from, to).map((m) => event(m)),
        nextForwardToken: `f/${to}/s`,
        nextBackwardToken: `b/${from}/s`,
      };
    });
    const stream = new LogStream(client, '/ecs/web', 'web/web/abc');
    expect(await stream.read()).toEqual(['Running migrations', 'Applied 1', 'Applied 2']);
    expect(await stream.read()).toEqual([]);
    written.push('Done\n');
    expect(await stream.read()).toEqual(['Done']);
    const asked = logs.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input);
    expect(asked[0]).toEqual({
      logGroupName: '/ecs/web',
      logStreamName: 'web/web/abc',
      startFromHead: true,
    });
    expect(asked.map((a) => a.nextToken)).toEqual([
      undefined,
      'f/2/s',
      'f/3/s',
      'f/3/s',
      'f/3/s',
      'f/4/s',
    ]);
  });

  test('a stream that does not exist yet (container not started) reads as nothing new', async () => {
    logs.on(GetLogEventsCommand).rejects(
      new ResourceNotFoundException({
        message: 'The specified log stream does not exist.',
        $metadata: {},
      }),
    );
    const stream = new LogStream(client, '/ecs/web', 'web/web/abc');
    expect(await stream.read()).toEqual([]);
    expect(stream.problem).toBeUndefined();
  });

  test('access denied stops the reading and says why, once', async () => {
    const denied = Object.assign(
      new Error('User is not authorized to perform: logs:GetLogEvents'),
      {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      },
    );
    logs.on(GetLogEventsCommand).rejects(denied);
    const stream = new LogStream(client, '/ecs/web', 'web/web/abc');
    await stream.read();
    await stream.read();
    expect(logs.commandCalls(GetLogEventsCommand)).toHaveLength(1);
    expect(stream.problem).toBe(
      'AWS AccessDeniedException (HTTP 400): User is not authorized to perform: logs:GetLogEvents',
    );
  });

  test('throttling and server errors are passing: the next poll reads on from the same place', async () => {
    logs
      .on(GetLogEventsCommand)
      .rejectsOnce(
        Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }),
      )
      .rejectsOnce(
        Object.assign(new Error('unavailable'), {
          name: 'ServiceUnavailableException',
          $metadata: { httpStatusCode: 503 },
        }),
      )
      .resolves({ events: [event('line')], nextForwardToken: 'f/1/s' });
    const stream = new LogStream(client, '/ecs/web', 'web/web/abc');
    expect(await stream.read()).toEqual([]);
    expect(await stream.read()).toEqual([]);
    expect(await stream.read()).toContain('line');
    expect(stream.problem).toBeUndefined();
  });
});

describe('task output in the step log', () => {
  const hostile = [
    '::error::x',
    '::add-mask::hunter2',
    '   ::warning file=app.js,line=1::indented',
    '##[error]legacy',
    'some text ##[set-output name=a]b',
    '::set-output name=migrated::true',
    '::stop-commands::guessed',
    '::guessed::',
    '::notice::after a guessed resume',
  ];

  test('no line the task prints is read as a workflow command by the runner', () => {
    // Without protection the runner would act on most of these lines.
    expect(runnerCommands(hostile.join('\n')).length).toBeGreaterThan(5);
    const block = untrustedBlock(hostile);
    expect(block.slice(1, -1)).toEqual(hostile);
    expect(runnerCommands(block.join('\n'))).toEqual([]);
  });

  test('commands after the block are processed again', () => {
    const stdout = [...untrustedBlock(['::error::x']), '::notice::ours'].join('\n');
    expect(runnerCommands(stdout)).toEqual([
      { command: 'notice', data: 'ours', line: '::notice::ours' },
    ]);
  });

  test('the resume token is never one the lines contain', () => {
    const tokens = ['aaaa', 'bbbb'];
    const block = untrustedBlock(['echo ::aaaa::'], () => tokens.shift()!);
    expect(block[0]).toBe('::stop-commands::bbbb');
    expect(block.at(-1)).toBe('::bbbb::');
    expect(untrustedBlock([])).toEqual([]);
  });

  test('multi-line messages become lines, whatever their line endings', () => {
    expect(splitMessage('a\r\nb\rc\nd\n')).toEqual(['a', 'b', 'c', 'd']);
    expect(splitMessage('')).toEqual(['']);
  });

  test('the tail keeps the last lines only', () => {
    const tail = new LogTail(3);
    tail.push(['1', '2']);
    tail.push(['3', '4', '5']);
    expect(tail.lines).toEqual(['3', '4', '5']);
  });
});
