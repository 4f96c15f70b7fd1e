// deploy.yml and image-scan.yml run job by job against the sandbox: the built actions, our
// `run:` scripts and stand-ins for the third-party actions, with outputs flowing between them
// through `${{ … }}` exactly as the workflow files say.
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BuildRequest,
  createServiceRepository,
  RUNNER_TOOLS,
  type RunWorkflowOptions,
  runWorkflow,
  SANDBOX_DEPLOY_INPUTS,
  type SandboxStandInOptions,
  sandboxStandIns,
  type WorkflowRun,
} from '../harness/workflow.ts';
import { type Sandbox, start } from '../sandbox/index.ts';
import type { BasicFinding } from '../sandbox/services/ecr.ts';

const WORKFLOW_REPOSITORY = 'fargate-delivery/fargate-delivery';
// The runner runs on the sandbox's clock, its network timeouts included: at this speed an SDK
// request still has half a real second to be answered on a busy machine.
const SPEED = 60;
const WORKFLOW_SHA = 'feedfacefeedfacefeedfacefeedfacefeedface';

const DOCKERFILE = 'FROM public.ecr.aws/docker/library/debian:bookworm-slim\nCOPY app /app\n';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

function findings(severities: string[]): BasicFinding[] {
  return severities.map((severity, n) => ({
    name: `CVE-2024-${1000 + n}`,
    severity: severity as BasicFinding['severity'],
    uri: `https://security-tracker.debian.org/tracker/CVE-2024-${1000 + n}`,
    attributes: [
      { key: 'package_name', value: n === 0 ? 'openssl' : `pkg${n}` },
      { key: 'package_version', value: '3.0.11-1' },
    ],
  }));
}

interface Setup {
  scan?: BasicFinding[];
  inputs?: Record<string, string>;
  /** Push an image of the release commit before the run, as an earlier run would have. */
  prebuilt?: boolean;
  approvals?: RunWorkflowOptions['approvals'];
}

async function deployV110(setup: Setup = {}) {
  sandbox = await start('web-bluegreen', { speed: SPEED });
  const repo = createServiceRepository([
    { tag: 'v1.0.0', files: { Dockerfile: DOCKERFILE, 'app/VERSION': '1.0.0\n' } },
    { tag: 'v1.1.0', files: { 'app/VERSION': '1.1.0\n' } },
  ]);
  const sha = repo.shas['v1.1.0']!;
  const record: NonNullable<SandboxStandInOptions['record']> = { builds: [], sarif: [] };
  const build = (request: BuildRequest) => ({
    // The sandbox's v1.0.0 has the layers `web:base` and `web:v1.0.0`; a new release shares
    // the base.
    layers: [
      { size: 4096, seed: 'web:base' },
      { size: 2048, seed: `web:${request.tags[0]}` },
    ],
    scan: { findings: setup.scan ?? findings(['HIGH', 'MEDIUM']), inProgressSeconds: 10 },
  });
  if (setup.prebuilt) {
    await sandbox.ecr!.state.pushImage('web', {
      tags: ['v1.1.0', sha],
      ...build({ repository: 'web', tags: ['v1.1.0'], dockerfile: '', context: '', cacheFrom: '' }),
    });
  }
  const steps: string[] = [];
  const run = await runWorkflow({
    workflow: '.github/workflows/deploy.yml',
    inputs: {
      ...SANDBOX_DEPLOY_INPUTS,
      budget: '30m',
      ...setup.inputs,
    },
    github: { repository: 'acme/web', sha, ref: 'refs/tags/v1.1.0', event_name: 'push' },
    workflowRepository: WORKFLOW_REPOSITORY,
    workflowSha: WORKFLOW_SHA,
    callerJob: 'production',
    sandbox,
    standIns: sandboxStandIns(sandbox, { serviceRepository: repo.dir, build, record }),
    path: [RUNNER_TOOLS],
    env: { FARGATE_DELIVERY_GITHUB_WRITE_INTERVAL_MS: '0' },
    ...(setup.approvals ? { approvals: setup.approvals } : {}),
    onEvent: (e) => {
      if (e.type === 'step-end') steps.push(`${e.job.id}: ${e.step.name} (${e.step.outcome})`);
    },
  });
  return { run, sha, record, steps, sandbox };
}

function explain(run: WorkflowRun): string {
  const failed = Object.values(run.jobs)
    .flatMap((j) => j.steps.map((s) => ({ job: j.id, ...s })))
    .filter((s) => s.outcome === 'failure');
  return failed.map((s) => `${s.job} / ${s.name}: ${s.error}\n${s.log}`).join('\n\n');
}

describe('deploy.yml against the sandbox', () => {
  it('builds, scans, renders, deploys blue/green and reports the budget, passing outputs between jobs', async () => {
    const { run, sha, record, sandbox } = await deployV110({
      approvals: { production: { reviewer: 'release-manager', afterSeconds: 180 } },
    });

    expect(run.conclusion, explain(run)).toBe('success');
    expect(Object.values(run.jobs).map((j) => [j.id, j.result])).toEqual([
      ['build', 'success'],
      ['scan', 'success'],
      ['deploy', 'success'],
    ]);
    // Tagged with the git tag and the commit, built with the previous release as cache.
    const registry = sandbox.registry!.host;
    expect(record.builds).toHaveLength(1);
    expect(record.builds[0]!.tags).toEqual(['v1.1.0', sha]);
    expect(record.builds[0]!.cacheFrom).toBe(`type=registry,ref=${registry}/web:v1.0.0`);

    // The image deployed is the one built and scanned, by digest.
    const digest = run.outputs['image-digest']!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.outputs.image).toBe(`${registry}/web@${digest}`);
    const scanned = sandbox.callsTo('DescribeImageScanFindings', 'ecr').map((c) => c.params);
    expect(scanned[0]).toMatchObject({ imageId: { imageDigest: digest } });
    const registered = sandbox.callsTo('RegisterTaskDefinition', 'ecs')[0]!.params as {
      containerDefinitions: { name: string; image: string }[];
    };
    expect(registered.containerDefinitions[0]!.image).toBe(`${registry}/web@${digest}`);

    expect(run.outputs['task-definition-arn']).toMatch(/:task-definition\/web:8$/);
    expect(run.outputs['deployment-id']).toMatch(/^d-[A-Z0-9]+$/);
    expect(Number(run.outputs['duration-seconds'])).toBeGreaterThan(0);
    expect(sandbox.callsTo('CreateDeployment', 'codedeploy')).toHaveLength(1);

    // The deploy job ran in the environment, serialized per environment and service.
    expect(run.jobs.deploy!.environment).toBe('production');
    expect(run.jobs.deploy!.concurrency).toEqual({
      group: 'fargate-delivery-deploy-production-prod-web',
      cancelInProgress: false,
    });
    // The previous release's layers were loaded before the build.
    const warm = run.jobs.build!.steps.find((s) => s.uses.endsWith('/actions/layer-cache'))!;
    expect(warm.outcome).toBe('success');
    expect(warm.with.images).toBe(`${registry}/web:v1.0.0`);
    // Our actions ran from the checkout of this repository at the workflow's own commit.
    expect(run.jobs.deploy!.steps.map((s) => s.uses)).toContain(
      './.fargate-delivery/actions/deploy',
    );
    expect(run.summary).toContain('Deploy budget');

    // Build and scan held the build role; only the job in the environment got the deploy role.
    const assumed = sandbox
      .callsTo('AssumeRoleWithWebIdentity', 'sts')
      .map((c) => (c.params as { RoleArn: string }).RoleArn.split('/').pop());
    expect(assumed).toEqual(['web-build', 'web-build', 'web-deploy-production']);

    // The budget counts from the deploy job's start; the reviewer's three minutes are shown apart.
    const started = run.jobs.deploy!.steps.find((s) => s.id === 'started')!.outputs.at!;
    expect(run.summary).toContain(`Measured from ${new Date(started).toISOString()}`);
    const wait = /\| Approval wait \| (\d+)m(\d+)?s? \| not counted \|/.exec(run.summary);
    expect(wait, run.summary).not.toBeNull();
    expect(Number(wait![1])).toBeGreaterThanOrEqual(3);
    expect(run.summary).not.toMatch(/\| production \/ (Build and push|Scan gate) \|/);
  });

  it('refuses the build jobs the deploy role: no job holds deploy rights outside the environment', async () => {
    const { run, record, sandbox } = await deployV110({
      inputs: { 'build-role-to-assume': SANDBOX_DEPLOY_INPUTS['deploy-role-to-assume'] },
    });

    expect(run.conclusion).toBe('failure');
    expect(run.failure).toMatchObject({ job: 'build', step: 'AWS credentials (OIDC)' });
    expect(run.failure!.message).toBe(
      'Could not assume role with OIDC: Not authorized to perform sts:AssumeRoleWithWebIdentity',
    );
    expect(record.builds).toEqual([]);
    expect(sandbox.callsTo('RegisterTaskDefinition', 'ecs')).toEqual([]);
  });

  it('stops at the scan gate on a critical finding: nothing is registered or deployed', async () => {
    const { run, steps, sandbox } = await deployV110({
      scan: findings(['CRITICAL', 'HIGH']),
    });

    expect(run.conclusion).toBe('failure');
    expect(run.failure).toMatchObject({ job: 'scan', step: 'Scan' });
    expect(run.failure!.message).toMatch(/critical/i);
    expect(run.jobs.deploy!.result).toBe('skipped');
    expect(steps.some((s) => s.startsWith('deploy:'))).toBe(false);
    expect(sandbox.callsTo('RegisterTaskDefinition', 'ecs')).toEqual([]);
    expect(sandbox.callsTo('CreateDeployment', 'codedeploy')).toEqual([]);
    expect(run.outputs['deployment-id']).toBe('');
    // The gate opened tickets for what it found.
    const issues = [...sandbox.github!.state.issues.values()].map((i) => i.title);
    expect(issues.some((t) => t.includes('CVE-2024-1000'))).toBe(true);
  });

  it('deploys the image already in ECR for this commit instead of building it again', async () => {
    const { run, record, sandbox } = await deployV110({ prebuilt: true });

    expect(run.conclusion, explain(run)).toBe('success');
    expect(record.builds).toEqual([]);
    const build = run.jobs.build!.steps;
    expect(build.find((s) => s.name === 'Build and push')!.outcome).toBe('skipped');
    const existing = build.find((s) => s.id === 'existing')!;
    expect(existing.log).toContain('is already in ECR');
    expect(run.outputs['image-digest']).toBe(existing.outputs.digest);
    expect(sandbox.callsTo('CreateDeployment', 'codedeploy')).toHaveLength(1);
  });

  it('fails before building when the reusable workflow is not given its required inputs', async () => {
    await expect(
      deployV110({ inputs: { service: undefined as unknown as string } }),
    ).rejects.toThrow(/input|service/);
  });
});

describe('image-scan.yml against the sandbox', () => {
  it('builds the PR image to pr-<number>, comments on the PR, uploads SARIF and fails per fail-on', async () => {
    sandbox = await start('web-bluegreen', { speed: SPEED });
    const repo = createServiceRepository([
      { tag: 'v1.0.0', files: { Dockerfile: DOCKERFILE, 'app/VERSION': '1.0.0\n' } },
    ]);
    const sha = repo.shas['v1.0.0']!;
    const record: NonNullable<SandboxStandInOptions['record']> = { builds: [], sarif: [] };
    const pull = openPull(sandbox, sha);
    const run = await runWorkflow({
      workflow: '.github/workflows/image-scan.yml',
      inputs: {
        'aws-region': 'us-east-1',
        'role-to-assume': 'arn:aws:iam::123456789012:role/web-image-scan',
        'ecr-repository': 'web',
        'fail-on': 'high',
      },
      github: {
        repository: 'acme/web',
        sha,
        ref: `refs/pull/${pull}/merge`,
        event_name: 'pull_request',
        event: { number: pull, pull_request: { number: pull, head: { sha } } },
      },
      workflowRepository: WORKFLOW_REPOSITORY,
      workflowSha: WORKFLOW_SHA,
      sandbox,
      standIns: sandboxStandIns(sandbox, {
        serviceRepository: repo.dir,
        build: () => ({ scan: { findings: findings(['HIGH', 'LOW']), inProgressSeconds: 5 } }),
        record,
      }),
      path: [RUNNER_TOOLS],
      env: { FARGATE_DELIVERY_GITHUB_WRITE_INTERVAL_MS: '0' },
    });

    expect(record.builds.map((b) => b.tags)).toEqual([[`pr-${pull}`]]);
    expect(run.conclusion).toBe('failure');
    expect(run.failure).toMatchObject({ job: 'scan', step: 'Scan' });
    expect(run.outputs.high).toBe('1');
    // SARIF reached code scanning although the gate failed the job.
    expect(record.sarif).toHaveLength(1);
    expect(record.sarif[0]).toMatchObject({ category: 'ecr-scan-web', results: 2 });
    const comments = [...sandbox.github!.state.comments.values()].filter(
      (c) => c.issue_number === pull,
    );
    expect(comments).toHaveLength(1);
  });
});

/** A pull request in the sandbox's GitHub, as the PR event would name it. */
function openPull(sb: Sandbox, sha: string): number {
  const { issues } = sb.github!.state;
  const number = Math.max(0, ...issues.keys()) + 1;
  const now = new Date(sb.clock.now()).toISOString();
  issues.set(number, {
    id: 9000 + number,
    number,
    title: 'Bump openssl',
    body: null,
    state: 'open',
    state_reason: null,
    labels: [],
    user: 'octocat',
    created_at: now,
    updated_at: now,
    closed_at: null,
    pull: {
      head: { ref: 'bump-openssl', sha },
      base: { ref: 'main', sha },
      draft: false,
      merged: false,
    },
  });
  return number;
}
