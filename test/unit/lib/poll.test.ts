import { describe, expect, test } from 'vitest';
import { isThrottling, type PollStep, PollTimeoutError, poll } from '../../../src/lib/poll.ts';

/** A fake clock: sleeping advances time instantly, so tests are exact and fast. */
function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

describe('polling', () => {
  test('returns as soon as the check says done', async () => {
    const clock = fakeClock();
    let calls = 0;
    const value = await poll(
      async (): Promise<PollStep<string>> =>
        ++calls === 3 ? { done: true, value: 'ok' } : { done: false },
      { intervalMs: 1000, deadline: 60_000, jitter: 0, ...clock },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(3);
    expect(clock.sleeps).toEqual([1000, 1000]);
  });
  test('times out at the deadline, never sleeping past it', async () => {
    const clock = fakeClock();
    await expect(
      poll(async () => ({ done: false }), {
        intervalMs: 4000,
        deadline: 10_000,
        jitter: 0,
        ...clock,
      }),
    ).rejects.toBeInstanceOf(PollTimeoutError);
    expect(clock.now()).toBe(10_000);
    expect(clock.sleeps).toEqual([4000, 4000, 2000]);
  });
  test('a state reached during the last sleep still counts', async () => {
    const clock = fakeClock();
    const value = await poll(
      async (): Promise<PollStep<number>> =>
        clock.now() >= 10_000 ? { done: true, value: clock.now() } : { done: false },
      { intervalMs: 4000, deadline: 10_000, jitter: 0, ...clock },
    );
    expect(value).toBe(10_000);
  });
  test('throttling doubles the interval up to the cap, and success resets it', async () => {
    const clock = fakeClock();
    const answers: Array<'throttle' | 'wait' | 'done'> = [
      'throttle',
      'throttle',
      'throttle',
      'wait',
      'done',
    ];
    await poll(
      async (): Promise<PollStep<true>> => {
        const answer = answers.shift();
        if (answer === 'throttle') throw throttled();
        return answer === 'done' ? { done: true, value: true } : { done: false };
      },
      { intervalMs: 1000, maxIntervalMs: 3000, deadline: 60_000, jitter: 0, ...clock },
    );
    expect(clock.sleeps).toEqual([2000, 3000, 3000, 1000]);
  });
  test('other errors stop the polling', async () => {
    const clock = fakeClock();
    await expect(
      poll(
        async () => {
          throw new Error('AccessDenied');
        },
        { intervalMs: 1000, deadline: 60_000, ...clock },
      ),
    ).rejects.toThrow('AccessDenied');
  });
  test('jitter adds at most the given fraction', async () => {
    const clock = fakeClock();
    let calls = 0;
    await poll(
      async (): Promise<PollStep<true>> =>
        ++calls === 2 ? { done: true, value: true } : { done: false },
      {
        intervalMs: 1000,
        deadline: 60_000,
        jitter: 0.2,
        random: () => 0.5,
        ...clock,
      },
    );
    expect(clock.sleeps).toEqual([1100]);
  });
  test.each([
    [{ name: 'ThrottlingException' }, true],
    [{ name: 'TooManyRequestsException' }, true],
    [{ status: 429 }, true],
    [{ name: 'Other', $metadata: { httpStatusCode: 429 } }, true],
    [{ name: 'AccessDeniedException' }, false],
    [null, false],
  ])('%j is throttling: %s', (err, expected) => {
    expect(isThrottling(err)).toBe(expected);
  });
});
