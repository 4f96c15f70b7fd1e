// `npm run demo` runs the deploy workflow end to end against the sandbox, says so, and tells the
// truth about time: one simulated clock for the sandbox and the runner, so that step timings,
// the deploy's own duration and phases, the budget and every timestamp agree with each other.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/index.ts';

const SPEED = 20;

interface Demo {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Real epoch ms when the demo ended. */
  endedAt: number;
}

function runDemo(): Promise<Demo> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(repoRoot, 'node_modules', '.bin', 'node'),
      [path.join(repoRoot, 'scripts', 'demo.ts')],
      { cwd: repoRoot, env: { ...process.env, DEMO_SPEED: String(SPEED), NO_COLOR: '1' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, endedAt: Date.now() }));
  });
}

/** `1h2m3s`, `3m47s`, `2m04s`, `55s` → seconds. */
function seconds(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  if (!m || text === '') throw new Error(`not a duration: '${text}'`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

function between(text: string, from: string, to: string): string {
  const start = text.indexOf(from);
  const end = text.indexOf(to, start + from.length);
  if (start < 0 || end < 0) throw new Error(`no section from '${from}' to '${to}'`);
  return text.slice(start, end);
}

/** The durations a job's steps printed (`✓ 1m07s`), in order. */
function stepTimes(job: string): number[] {
  return [...job.matchAll(/^ {2}✓ (\S+)$/gm)].map((m) => seconds(m[1]!));
}

let demo: Demo;
beforeAll(async () => {
  demo = await runDemo();
}, 240_000);

describe('npm run demo', () => {
  it('deploys v1.1.0 through the deploy workflow and ends on one success line', () => {
    const last = demo.stdout.trim().split('\n').pop() ?? '';
    expect(last, demo.stderr).toMatch(
      /^demo: success — web v1\.1\.0 deployed to prod\/web \(CODE_DEPLOY, \w+, deployment d-[A-Z0-9]+\) in \d+s, within its 10m budget$/,
    );
    expect(demo.code).toBe(0);
    // Each job's steps print as they run, then the run's summary.
    expect(demo.stdout).toContain('▶ Warm the layer cache with the previous release');
    expect(demo.stdout).toContain('▶ Scan (./.fargate-delivery/actions/ecr-scan)');
    expect(demo.stdout).toContain('══ job summary ══');
  });

  it('prints no warning in a clean run', () => {
    expect(demo.stdout).not.toMatch(/⚠|UnknownOperationException|Could not read/);
    expect(demo.stderr).toBe('');
  });

  it('keeps build and scan out of the production budget, and shows the approval wait apart', () => {
    const deployJob = between(demo.stdout, '━━ job Deploy', '══ job summary ══');
    const steps = stepTimes(deployJob);
    const jobSeconds = steps.reduce((a, b) => a + b, 0);
    const took = seconds(/this deploy took (\S+) of its 10m budget/.exec(demo.stdout)![1]!);
    // From the deploy job's first step to the budget step: the job's steps, less at most the
    // parts of its first and last step outside the measurement.
    expect(took).toBeLessThanOrEqual(jobSeconds + 2);
    expect(took).toBeGreaterThanOrEqual(jobSeconds - steps[0]! - steps.at(-1)! - 2);
    const last = demo.stdout.trim().split('\n').pop()!;
    expect(Number(/ in (\d+)s, within/.exec(last)![1])).toBeCloseTo(took, -1);

    const approved = /approved by @(\S+) after (\S+)/.exec(demo.stdout)!;
    const wait = /^Approval wait\s+(\S+)\s+not counted/m.exec(demo.stdout);
    expect(wait, 'the budget lists the approval wait as a phase outside it').not.toBeNull();
    expect(seconds(wait![1]!)).toBeGreaterThanOrEqual(seconds(approved[2]!));
    expect(demo.stdout).not.toMatch(/^production \/ (Build and push|Scan gate)\s/m);
  });

  it('tells one time: the deploy’s duration, its phases and its step agree', () => {
    const deployStep = between(demo.stdout, '▶ Deploy (', '▶ Budget report');
    const stepSeconds = stepTimes(deployStep)[0]!;
    const duration = seconds(/^Duration\s+(\S+)$/m.exec(demo.stdout)![1]!);
    expect(duration).toBeLessThanOrEqual(stepSeconds + 1);
    expect(duration).toBeGreaterThan(60); // Install alone takes 55 simulated seconds

    const phases = between(demo.stdout, 'Phase                  Started', 'Traffic shift');
    const times = [...phases.matchAll(/(\d{4}-\d\d-\d\dT[\d:.]+Z)/g)].map((m) => Date.parse(m[1]!));
    const span = (Math.max(...times) - Math.min(...times)) / 1000;
    expect(span).toBeLessThanOrEqual(duration);

    // Lifecycle events appear as they happen, not all at the moment of one late look.
    const stamps = [...deployStep.matchAll(/│ \[(\S+)\] /g)].map((m) => seconds(m[1]!));
    expect(new Set(stamps).size).toBeGreaterThanOrEqual(5);
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
  });

  it('puts no timestamp in the future, and none before the simulated clock started', () => {
    const start = Date.parse(
      /simulated clock running \d+× real time from (\S+)$/m.exec(demo.stdout)![1]!,
    );
    const stamps = [
      ...demo.stdout.matchAll(/\b(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z)\b/g),
    ].map((m) => Date.parse(m[1]!));
    expect(stamps.length).toBeGreaterThan(10);
    for (const stamp of stamps) {
      expect(stamp).toBeGreaterThanOrEqual(start - 1000);
      expect(stamp).toBeLessThanOrEqual(demo.endedAt);
    }
  });

  it('refuses a DEMO_SPEED the runner’s own timeouts could not keep up with, in one line', async () => {
    const child = spawn(
      path.join(repoRoot, 'node_modules', '.bin', 'node'),
      [path.join(repoRoot, 'scripts', 'demo.ts')],
      { cwd: repoRoot, env: { ...process.env, DEMO_SPEED: '600' } },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      "DEMO_SPEED: must be a number from 1 to 120 (simulated seconds per real second), got '600'",
    );
  });

  it('runs its simulated clock DEMO_SPEED times faster than real time', () => {
    const m = /The run took (\S+) on the simulated clock, (\S+) of real time \((\d+)×\)/.exec(
      demo.stdout,
    )!;
    expect(Number(m[3])).toBe(SPEED);
    const ratio = seconds(m[1]!) / seconds(m[2]!);
    expect(ratio).toBeGreaterThan(SPEED * 0.9);
    expect(ratio).toBeLessThan(SPEED * 1.1);
  });
});
