// `npm run demo`: the tag-triggered production deploy, end to end, with no AWS account. Starts
// the sandbox (simulated ECS, ECR, CodeDeploy, STS and GitHub, and a real OCI registry on
// 127.0.0.1), then runs .github/workflows/deploy.yml for the tag v1.1.0 of a web service through
// the workflow runner of the tests: the built actions exactly as the runner would run them, the
// workflow's own scripts, and sandbox stand-ins for credentials and the Docker build. Prints each
// step's log, the run's job summary, and one last line: success, or the step that failed.
//
// One clock: the sandbox and every process of the simulated runner run DEMO_SPEED times faster
// than real time, so every duration and timestamp printed is simulated and they all agree. What
// the machine itself spends (starting processes, git) is multiplied too: at a high speed a step
// looks slow, as a runner a hundred times slower would be.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../test/harness/index.ts';
import {
  createServiceRepository,
  RUNNER_TOOLS,
  runWorkflow,
  SANDBOX_DEPLOY_INPUTS,
  sandboxStandIns,
  type WorkflowEvent,
} from '../test/harness/workflow.ts';
import { start } from '../test/sandbox/index.ts';
import type { BasicFinding } from '../test/sandbox/services/ecr.ts';
import { markdownToTerminal } from './lib/terminal-markdown.ts';

const speed = Number(process.env.DEMO_SPEED ?? 20);
// The runner's own timeouts run on the simulated clock too: beyond this, an AWS request's 30
// seconds would be less real time than a busy machine may take to answer it.
const MAX_SPEED = 120;
if (!(speed >= 1 && speed <= MAX_SPEED)) {
  console.error(
    `DEMO_SPEED: must be a number from 1 to ${MAX_SPEED} (simulated seconds per real second), got '${process.env.DEMO_SPEED}'`,
  );
  process.exit(2);
}
// About how long the demo takes here: the simulated run starts that long ago, so that it ends
// near the real now instead of minutes in the future.
const REAL_SECONDS = 90;
// The production environment's required reviewer takes this long to approve.
const APPROVAL = { reviewer: 'release-manager', afterSeconds: 120 };
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = (t: string) => paint('1', t);
const dim = (t: string) => paint('2', t);
const green = (t: string) => paint('32', t);
const red = (t: string) => paint('31', t);

const BUDGET = '10m';

// Layers of the web service's images: the Debian base and the runtime change rarely, the app on
// every release.
const BASE = { size: 3_000_000, seed: 'debian-bookworm-base' };
const RUNTIME = { size: 1_500_000, seed: 'web-runtime' };
const app = (release: string) => ({ size: 400_000, seed: `web-app-${release}` });

const DOCKERFILE = [
  'FROM public.ecr.aws/docker/library/debian:bookworm-slim',
  'RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates',
  'COPY app /app',
  'CMD ["/app/web"]',
  '',
].join('\n');

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `  ${dim('│')} ${line}`)
    .join('\n');
}

function minutes(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function report(event: WorkflowEvent): void {
  if (event.type === 'job-waiting') {
    console.log(
      `\n${dim(`⏸ job ${event.job.name} waits for a review of environment ${event.environment}: approved by @${event.reviewer} after ${minutes(event.seconds * 1000)}`)}`,
    );
  } else if (event.type === 'job-start') {
    console.log(
      `\n${bold(`━━ job ${event.job.name}`)}${event.job.environment ? dim(` (environment ${event.job.environment})`) : ''}`,
    );
  } else if (event.type === 'job-end' && event.job.result === 'skipped') {
    console.log(`\n${dim(`━━ job ${event.job.name}: skipped`)}`);
  } else if (event.type === 'step-start') {
    console.log(`${bold(`▶ ${event.name}`)} ${dim(`(${event.uses})`)}`);
  } else if (event.type === 'step-end' && event.step.outcome !== 'skipped') {
    const { step } = event;
    if (step.log.trim()) console.log(indent(step.log));
    for (const warning of step.warnings) console.log(`  ${paint('33', `⚠ ${warning}`)}`);
    if (step.outcome === 'success') console.log(dim(`  ✓ ${minutes(step.durationMs)}`));
    else console.log(red(`  ✗ ${step.error ?? 'failed'}`));
  }
}

async function main(): Promise<number> {
  const realStart = Date.now();
  const sandbox = await start(
    path.join(repoRoot, 'test', 'sandbox', 'scenarios', 'web-bluegreen.yaml'),
    { speed, startTime: realStart - speed * REAL_SECONDS * 1000 },
  );
  console.log(
    bold(
      `fargate-delivery demo: tag v1.1.0 → production, on a simulated clock running ${speed}× real time from ${new Date(sandbox.clock.start).toISOString()}`,
    ),
  );
  try {
    if (!sandbox.registry || !sandbox.ecr)
      throw new Error('the demo scenario needs an ECR repository');
    // The release running in production today, built from the same base as the new one.
    await sandbox.ecr.state.pushImage('web', {
      tags: ['v1.0.0'],
      layers: [BASE, RUNTIME, app('v1.0.0')],
    });
    const service = createServiceRepository([
      { tag: 'v1.0.0', files: { Dockerfile: DOCKERFILE, 'app/web': '#!/bin/sh\necho 1.0.0\n' } },
      { tag: 'v1.1.0', files: { 'app/web': '#!/bin/sh\necho 1.1.0\n' } },
    ]);

    const run = await runWorkflow({
      workflow: '.github/workflows/deploy.yml',
      inputs: {
        ...SANDBOX_DEPLOY_INPUTS,
        budget: BUDGET,
        'fail-on': 'critical',
      },
      github: {
        repository: 'acme/web',
        sha: service.shas['v1.1.0']!,
        ref: 'refs/tags/v1.1.0',
        event_name: 'push',
      },
      workflowRepository: 'fargate-delivery/fargate-delivery',
      workflowSha: '0000000000000000000000000000000000000001',
      callerJob: 'production',
      sandbox,
      standIns: sandboxStandIns(sandbox, {
        serviceRepository: service.dir,
        // What docker build makes of the Dockerfile: the same base and runtime layers as
        // v1.0.0, a new app layer, and a scan clean of the critical findings v1.0.0 had.
        build: (request) => ({
          layers: [BASE, RUNTIME, app(request.tags[0] ?? 'dev')],
          scan: { findings: fixedRelease(), inProgressSeconds: 20 },
        }),
      }),
      path: [RUNNER_TOOLS],
      env: { FARGATE_DELIVERY_GITHUB_WRITE_INTERVAL_MS: '0' },
      approvals: { production: APPROVAL },
      onEvent: report,
    });
    const simulated = sandbox.clock.now() - sandbox.clock.start;
    const real = Date.now() - realStart;

    if (run.summary.trim()) {
      console.log(`\n${bold('══ job summary ══')}\n`);
      console.log(markdownToTerminal(run.summary));
    }
    if (run.conclusion !== 'success') {
      const failure = run.failure ?? { job: '?', step: '?', message: 'the run failed' };
      console.log(
        `\n${red(`demo: failed at '${run.jobs[failure.job]?.name ?? failure.job} / ${failure.step}': ${failure.message}`)}`,
      );
      return 1;
    }
    const budget = run.jobs.deploy?.steps.find((s) => s.id === 'budget')?.outputs ?? {};
    const deploy = run.jobs.deploy?.steps.find((s) => s.id === 'deploy')?.outputs ?? {};
    console.log(
      dim(
        `\nThe run took ${minutes(simulated)} on the simulated clock, ${minutes(real)} of real time (${speed}×).`,
      ),
    );
    console.log(
      `\n${green(
        `demo: success — web v1.1.0 deployed to prod/web (${deploy.controller}, ${deploy.status}, deployment ${run.outputs['deployment-id']}) in ${run.outputs['duration-seconds']}s, ${budget['over-budget'] === 'true' ? 'over' : 'within'} its ${BUDGET} budget`,
      )}`,
    );
    return 0;
  } finally {
    await sandbox.stop();
  }
}

/** The base image's findings, less the critical ones this release fixed. */
function fixedRelease(): BasicFinding[] {
  const file = path.join(
    repoRoot,
    'test',
    'sandbox',
    'fixtures',
    'findings',
    'basic-debian-bookworm.json',
  );
  const { findings } = JSON.parse(readFileSync(file, 'utf8')) as { findings: BasicFinding[] };
  return findings.filter((f) => f.severity !== 'CRITICAL');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(
      red(
        `demo: failed before the pipeline ran: ${err instanceof Error ? err.message : String(err)}`,
      ),
    );
    process.exit(1);
  },
);
