// How long after a blue/green deployment reaches the awaited state does the deploy action
// exit, and how many AWS calls does it make per minute of deployment? Runs the built bundle
// (dist/deploy) against the sandbox's web-bluegreen scenario — a CodeDeploy AllAtOnce deploy
// of about five simulated minutes, three of them the termination wait — with wait-until
// complete and the default 5 s poll interval scaled to the sandbox's speed.
//
//   node_modules/.bin/node bench/deploy-wait/run.ts [--runs 20] [--speed 30] [--parallel 2]
//
// Lag, in real-time-equivalent seconds, is the simulated time from the deployment's
// Succeeded to the action's last AWS call (the call that saw it), plus the real time from that
// call to the process's exit (which a faster sandbox clock must not inflate).
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAction } from '../../test/harness/index.ts';
import { start } from '../../test/sandbox/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (flag: string, fallback: number) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('--runs', 20);
const SPEED = arg('--speed', 30);
const PARALLEL = arg('--parallel', 2);
/** The whole benchmark stops starting runs after this (real ms). */
const BUDGET_MS = arg('--budget-seconds', 240) * 1000;
const POLL_MS = 5000;
const GOAL_LAG_S = 5;
const GOAL_CALLS_PER_MIN = 12;

interface Sample {
  lagSeconds: number;
  detectSeconds: number;
  exitMs: number;
  callsPerMinute: number;
  calls: number;
  deploySeconds: number;
}

async function once(): Promise<Sample> {
  const sb = await start('web-bluegreen', { speed: SPEED, registry: false });
  const workspace = mkdtempSync(path.join(tmpdir(), 'bench-deploy-wait-'));
  try {
    copyFileSync(
      path.join(root, 'test/fixtures/deploy/task-definition.json'),
      path.join(workspace, 'td.json'),
    );
    const result = await runAction('deploy', {
      workspace,
      env: sb.env,
      timeoutMs: 120_000,
      inputs: {
        'task-definition': 'td.json',
        cluster: 'prod',
        service: 'web',
        'wait-until': 'complete',
        'poll-interval': `${Math.round(POLL_MS / SPEED)}ms`,
      },
    });
    const exitedAt = Date.now();
    if (result.exitCode !== 0)
      throw new Error(`deploy failed: ${result.errors.join('; ') || result.stderr}`);
    const deployment = sb.codedeploy.state.deployments[0];
    const succeeded = deployment?.history.find((h) => h.status === 'Succeeded');
    if (!deployment || !succeeded) throw new Error('the sandbox recorded no Succeeded deployment');
    const aws = sb.calls.filter((c) => c.service !== 'github' && c.service !== 'registry');
    const first = aws[0]!;
    const last = aws.at(-1)!;
    const detectSeconds = (last.time - succeeded.at) / 1000;
    const exitMs = exitedAt - last.realTime;
    const minutes = (last.time - first.time) / 60_000;
    return {
      lagSeconds: detectSeconds + exitMs / 1000,
      detectSeconds,
      exitMs,
      callsPerMinute: aws.length / minutes,
      calls: aws.length,
      deploySeconds: (succeeded.at - deployment.createTime) / 1000,
    };
  } finally {
    await sb.stop();
    rmSync(workspace, { recursive: true, force: true });
  }
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

const began = Date.now();
const samples: Sample[] = [];
let next = 0;
async function worker() {
  while (next < RUNS && Date.now() - began < BUDGET_MS) {
    next += 1;
    const sample = await once();
    samples.push(sample);
    process.stdout.write(
      `run ${String(samples.length).padStart(2)}: lag ${sample.lagSeconds.toFixed(2)} s (seen ${sample.detectSeconds.toFixed(2)} s after, exit ${sample.exitMs} ms), ${sample.calls} calls, ${sample.callsPerMinute.toFixed(1)}/min\n`,
    );
  }
}
await Promise.all(Array.from({ length: PARALLEL }, worker));

if (samples.length === 0) throw new Error('no run finished');
const lag = samples.map((s) => s.lagSeconds);
const rate = samples.map((s) => s.callsPerMinute);
const deploy = samples.map((s) => s.deploySeconds);
const row = (name: string, values: number[], unit: string, goal?: number) =>
  `${name.padEnd(30)} median ${quantile(values, 0.5).toFixed(2).padStart(6)} ${unit}   p95 ${quantile(values, 0.95).toFixed(2).padStart(6)} ${unit}` +
  (goal === undefined
    ? ''
    : `   goal ≤ ${goal} ${unit}: ${quantile(values, 0.95) <= goal ? 'met' : 'NOT met'}`);
console.log(
  `\ndeploy-wait: ${samples.length} runs of a ${quantile(deploy, 0.5).toFixed(0)} s simulated blue/green (web-bluegreen, wait-until complete), sandbox at ${SPEED}×, poll-interval 5s (scaled), ${((Date.now() - began) / 1000).toFixed(0)} s real`,
);
console.log(row('lag after Succeeded', lag, 's', GOAL_LAG_S));
console.log(row('AWS calls per simulated minute', rate, '/min', GOAL_CALLS_PER_MIN));
console.log(
  row(
    '  of which: seen after',
    samples.map((s) => s.detectSeconds),
    's',
  ),
);
console.log(
  row(
    '  of which: exit after the call',
    samples.map((s) => s.exitMs / 1000),
    's',
  ),
);
if (samples.length < RUNS)
  console.log(`(stopped after ${samples.length} of ${RUNS} runs: time budget)`);
