// What the reusable workflows take from outside (git tags, a pull request's files) and what they
// must not let it do: add build options, or waive a pull request's own findings.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../harness/index.ts';
import {
  type BuildRequest,
  createServiceRepository,
  RUNNER_TOOLS,
  runWorkflow,
  SANDBOX_DEPLOY_INPUTS,
  type SandboxStandInOptions,
  sandboxStandIns,
  type WorkflowRun,
} from '../harness/workflow.ts';
import { type Sandbox, start } from '../sandbox/index.ts';
import type { BasicFinding } from '../sandbox/services/ecr.ts';

const WORKFLOW_REPOSITORY = 'fargate-delivery/fargate-delivery';
const WORKFLOW_SHA = 'feedfacefeedfacefeedfacefeedfacefeedface';
const SPEED = 60;
const DOCKERFILE = 'FROM public.ecr.aws/docker/library/debian:bookworm-slim\nCOPY app /app\n';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

function finding(name: string, severity: BasicFinding['severity']): BasicFinding {
  return {
    name,
    severity,
    uri: `https://security-tracker.debian.org/tracker/${name}`,
    attributes: [
      { key: 'package_name', value: 'openssl' },
      { key: 'package_version', value: '3.0.11-1' },
    ],
  };
}

function step(run: WorkflowRun, job: string, name: string) {
  const found = run.jobs[job]?.steps.find((s) => s.name === name);
  if (!found) throw new Error(`no step '${name}' in job ${job}`);
  return found;
}

describe('status functions in the reusable workflows', () => {
  it('no job or step runs under always(): a cancelled run stops', () => {
    for (const file of ['deploy.yml', 'image-scan.yml']) {
      const text = readFileSync(path.join(repoRoot, '.github/workflows', file), 'utf8');
      const workflow = parseYaml(text) as {
        jobs: Record<string, { if?: string; steps?: Array<{ if?: string }> }>;
      };
      for (const job of Object.values(workflow.jobs)) {
        for (const condition of [job.if, ...(job.steps ?? []).map((s) => s.if)]) {
          expect(String(condition ?? '')).not.toContain('always()');
        }
      }
    }
  });
});

describe('deploy.yml and the previous release tag', () => {
  it('a git tag that is not a Docker tag adds no cache-from option: the build goes without it', async () => {
    sandbox = await start('web-bluegreen', { speed: SPEED });
    const hostile = 'v0.9,ref=evil.example/x';
    const repo = createServiceRepository([
      { tag: hostile, files: { Dockerfile: DOCKERFILE, 'app/VERSION': '0.9\n' } },
      { tag: 'v1.1.0', files: { 'app/VERSION': '1.1.0\n' } },
    ]);
    const record: NonNullable<SandboxStandInOptions['record']> = { builds: [], sarif: [] };
    const build = (request: BuildRequest) => ({
      layers: [{ size: 1024, seed: `web:${request.tags[0]}` }],
      // A critical finding stops the run at the scan gate: the build is what this test is about.
      scan: { findings: [finding('CVE-2024-1000', 'CRITICAL')], inProgressSeconds: 5 },
    });
    const run = await runWorkflow({
      workflow: '.github/workflows/deploy.yml',
      inputs: { ...SANDBOX_DEPLOY_INPUTS },
      github: {
        repository: 'acme/web',
        sha: repo.shas['v1.1.0']!,
        ref: 'refs/tags/v1.1.0',
        event_name: 'push',
      },
      workflowRepository: WORKFLOW_REPOSITORY,
      workflowSha: WORKFLOW_SHA,
      callerJob: 'production',
      sandbox,
      standIns: sandboxStandIns(sandbox, { serviceRepository: repo.dir, build, record }),
      path: [RUNNER_TOOLS],
      env: { FARGATE_DELIVERY_GITHUB_WRITE_INTERVAL_MS: '0' },
    });

    expect(run.jobs.build!.result).toBe('success');
    expect(record.builds).toHaveLength(1);
    expect(record.builds[0]!.cacheFrom).toBe('');
    expect(JSON.stringify(record.builds[0])).not.toContain('evil.example');
    const names = step(run, 'build', 'Name the release');
    expect(names.outputs).not.toHaveProperty('previous');
    expect(names.log).toContain('the previous release tag is not a Docker tag');
    expect(step(run, 'build', 'Warm the layer cache with the previous release').outcome).toBe(
      'skipped',
    );
  });
});

describe('image-scan.yml and the ignore file', () => {
  const IGNORE_HIGH =
    '- {id: CVE-2024-1000, reason: not reachable in this service, expires: 2030-01-01}\n';

  async function scanPull(base: Record<string, string>, head: Record<string, string>) {
    sandbox = await start('web-bluegreen', { speed: SPEED });
    const repo = createServiceRepository([
      { tag: 'base', files: { Dockerfile: DOCKERFILE, 'app/VERSION': '1\n', ...base } },
      { tag: 'head', files: { 'app/VERSION': '2\n', ...head } },
    ]);
    const { issues } = sandbox.github!.state;
    const number = Math.max(0, ...issues.keys()) + 1;
    const now = new Date(sandbox.clock.now()).toISOString();
    const pull = {
      head: { ref: 'feature', sha: repo.shas.head! },
      base: { ref: 'main', sha: repo.shas.base! },
    };
    issues.set(number, {
      id: 9000 + number,
      number,
      title: 'A change',
      body: null,
      state: 'open',
      state_reason: null,
      labels: [],
      user: 'octocat',
      created_at: now,
      updated_at: now,
      closed_at: null,
      pull: { ...pull, draft: false, merged: false },
    });
    const record: NonNullable<SandboxStandInOptions['record']> = { builds: [], sarif: [] };
    return runWorkflow({
      workflow: '.github/workflows/image-scan.yml',
      inputs: {
        'aws-region': 'us-east-1',
        'role-to-assume': 'arn:aws:iam::123456789012:role/web-image-scan',
        'ecr-repository': 'web',
        'fail-on': 'high',
      },
      github: {
        repository: 'acme/web',
        sha: repo.shas.head!,
        ref: `refs/pull/${number}/merge`,
        event_name: 'pull_request',
        event: { number, pull_request: { number, ...pull } },
      },
      workflowRepository: WORKFLOW_REPOSITORY,
      workflowSha: WORKFLOW_SHA,
      sandbox,
      standIns: sandboxStandIns(sandbox, {
        serviceRepository: repo.dir,
        build: () => ({
          scan: { findings: [finding('CVE-2024-1000', 'HIGH')], inProgressSeconds: 5 },
        }),
        record,
      }),
      path: [RUNNER_TOOLS],
      env: { FARGATE_DELIVERY_GITHUB_WRITE_INTERVAL_MS: '0' },
    });
  }

  it('a pull request adding its own finding to the ignore file still fails the gate', async () => {
    const run = await scanPull({}, { '.github/ecr-scan-ignore.yml': IGNORE_HIGH });
    expect(run.conclusion).toBe('failure');
    expect(run.failure).toMatchObject({ job: 'scan', step: 'Scan' });
    expect(step(run, 'scan', 'Scan').outputs.ignored).toBe('0');
  });

  it("the base branch's ignore file applies to the pull request", async () => {
    const run = await scanPull({ '.github/ecr-scan-ignore.yml': IGNORE_HIGH }, {});
    expect(run.conclusion).toBe('success');
    expect(step(run, 'scan', 'Scan').outputs.ignored).toBe('1');
  });
});
