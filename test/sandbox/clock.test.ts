import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/index.ts';
import { createClock, runnerClockEnv, Scheduler } from './clock.ts';

function run(file: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

describe('simulated clock', () => {
  it('runs speed times faster than real time from its start', async () => {
    const clock = createClock({ speed: 600, start: Date.parse('2025-06-01T12:00:00Z') });
    expect(clock.now() - clock.start).toBeLessThan(600);
    const before = performance.now();
    await new Promise((r) => setTimeout(r, 100));
    const realElapsed = performance.now() - before;
    const simElapsed = clock.elapsed();
    expect(simElapsed).toBeGreaterThanOrEqual(realElapsed * 600 - 600);
    expect(simElapsed).toBeLessThan((realElapsed + 50) * 600);
    expect(new Date(clock.now()).toISOString()).toMatch(/^2025-06-01T12:0[01]:/);
  });

  it('sleeps in simulated time: a simulated minute at 600× is a tenth of a real second', async () => {
    const clock = createClock({ speed: 600 });
    const before = performance.now();
    await clock.sleep(60_000);
    const real = performance.now() - before;
    expect(real).toBeGreaterThanOrEqual(95);
    expect(real).toBeLessThan(1000);
    expect(clock.elapsed()).toBeGreaterThanOrEqual(60_000 - 600);
  });

  it('refuses a speed that is not positive', () => {
    expect(() => createClock({ speed: 0 })).toThrow(/positive/);
    expect(() => createClock({ speed: Number.NaN })).toThrow(/positive/);
  });
});

describe('scheduler', () => {
  function fixedClock() {
    let now = 0;
    return {
      clock: { speed: 1, now: () => now, sleep: async () => {} },
      set: (t: number) => {
        now = t;
      },
    };
  }

  it('runs due events in time order, each stamped with its own time, and leaves the rest', () => {
    const { clock, set } = fixedClock();
    const scheduler = new Scheduler(clock);
    const seen: [string, number][] = [];
    scheduler.at(300, (t) => seen.push(['c', t]));
    scheduler.at(100, (t) => seen.push(['a', t]));
    scheduler.at(200, (t) => seen.push(['b', t]));
    set(250);
    scheduler.advance();
    expect(seen).toEqual([
      ['a', 100],
      ['b', 200],
    ]);
    expect(scheduler.pending).toBe(1);
  });

  it('runs events that events schedule when they fall due in the same advance', () => {
    const { clock, set } = fixedClock();
    const scheduler = new Scheduler(clock);
    const seen: number[] = [];
    const chain = (t: number) => {
      seen.push(t);
      if (seen.length < 5) scheduler.at(t + 10, chain);
    };
    scheduler.at(0, chain);
    set(25);
    scheduler.advance();
    expect(seen).toEqual([0, 10, 20]);
    set(1000);
    scheduler.advance();
    expect(seen).toEqual([0, 10, 20, 30, 40]);
  });

  it('gives the same history whether it is advanced often or once', () => {
    const run = (steps: number[]) => {
      const { clock, set } = fixedClock();
      const scheduler = new Scheduler(clock);
      const seen: number[] = [];
      const tick = (t: number) => {
        seen.push(t);
        if (t < 90) scheduler.at(t + 15, tick);
      };
      scheduler.at(3, tick);
      for (const s of steps) {
        set(s);
        scheduler.advance();
      }
      return seen;
    };
    expect(run([1, 2, 5, 17, 33, 40, 41, 70, 200])).toEqual(run([200]));
  });

  it('does not run a cancelled event', () => {
    const { clock, set } = fixedClock();
    const scheduler = new Scheduler(clock);
    const seen: string[] = [];
    const handle = scheduler.at(10, () => seen.push('cancelled'));
    scheduler.at(20, () => seen.push('kept'));
    handle.cancel();
    set(30);
    scheduler.advance();
    expect(seen).toEqual(['kept']);
  });
});

describe('a process of the simulated runner', () => {
  const clock = createClock({ speed: 100, start: Date.parse('2025-06-01T12:00:00Z') });

  it('tells the sandbox clock’s time, and waits simulated time on its timers', async () => {
    const script = [
      "import { setTimeout as sleep } from 'node:timers/promises';",
      'const t0 = Date.now();',
      'const p0 = performance.now();',
      'await sleep(60_000);',
      'await new Promise((r) => setTimeout(r, 60_000));',
      'console.log(JSON.stringify({ t0, t1: Date.now(), perf: performance.now() - p0, iso: new Date().toISOString() }));',
    ].join('\n');
    const before = clock.now();
    const out = JSON.parse(
      await run(
        path.join(repoRoot, 'node_modules', '.bin', 'node'),
        ['--input-type=module', '-e', script],
        runnerClockEnv(clock),
      ),
    ) as { t0: number; t1: number; perf: number; iso: string };
    const after = clock.now();
    expect(out.t0).toBeGreaterThanOrEqual(Math.floor(before));
    expect(out.t1).toBeLessThanOrEqual(Math.ceil(after));
    // Two simulated minutes of sleeping, well under a real second apart at 100x.
    expect(out.t1 - out.t0).toBeGreaterThanOrEqual(120_000);
    expect(out.perf).toBeGreaterThanOrEqual(120_000);
    expect(Date.parse(out.iso)).toBeGreaterThanOrEqual(out.t1);
    expect(Date.parse(out.iso)).toBeLessThanOrEqual(Math.ceil(after));
  });

  it('runs `date` on the same clock in run: scripts (the runner tool)', async () => {
    const before = Math.floor(clock.now() / 1000) * 1000;
    const printed = await run(
      path.join(repoRoot, 'test', 'workflows', 'runner-tools', 'date'),
      ['-u', '+%Y-%m-%dT%H:%M:%SZ'],
      runnerClockEnv(clock),
    );
    const after = clock.now();
    expect(Date.parse(printed.trim())).toBeGreaterThanOrEqual(before);
    expect(Date.parse(printed.trim())).toBeLessThanOrEqual(after);
  });
});
