// The deploy-budget bundle against the sandbox's GitHub (deployments, statuses, workflow run jobs,
// issues) and ECR: a history of ten deploys, then new deploys that are over budget, regress,
// recover, or ship a bigger image.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { repoRoot, runAction } from '../../harness/index.ts';
import { loadScenario, type Sandbox, type Scenario, start } from '../../sandbox/index.ts';

const SCENARIO = path.join(repoRoot, 'test', 'fixtures', 'deploy-budget', 'history.yaml');
const RUN_ID = 1001;

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

const scratch = mkdtempSync(path.join(tmpdir(), 'deploy-budget-e2e-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Run = NonNullable<NonNullable<Scenario['github']>['workflowRuns']>[number];

/** Moves every time of a run by the same amount, so that the run started `secondsAgo` ago. */
function shiftRun(run: Run, id: number, secondsAgo: number): Run {
  const offset = Date.now() - secondsAgo * 1000 - Date.parse(run.run_started_at!);
  const shift = (t: string | null | undefined) =>
    t ? new Date(Date.parse(t) + offset).toISOString().replace('.000Z', 'Z') : t;
  return {
    ...run,
    id,
    created_at: shift(run.created_at)!,
    run_started_at: shift(run.run_started_at)!,
    jobs: (run.jobs ?? []).map((job) => ({
      ...job,
      started_at: shift(job.started_at)!,
      completed_at: shift(job.completed_at) ?? null,
      steps: (job.steps ?? []).map((step) => ({
        ...step,
        started_at: shift(step.started_at) ?? null,
        completed_at: shift(step.completed_at) ?? null,
      })),
    })),
  };
}

/**
 * The fixture with its run 1001 (and copies 1002…, one per deploy a test makes) started
 * `secondsAgo` ago; without ECR unless asked, since only the image test needs a registry.
 */
function scenario({
  secondsAgo = 240,
  runs = 1,
  history = true,
  ecr = false,
}: {
  secondsAgo?: number;
  runs?: number;
  history?: boolean;
  ecr?: boolean;
} = {}): Scenario {
  const loaded = loadScenario(SCENARIO);
  const github = loaded.github!;
  const run = github.workflowRuns![0]!;
  const result: Scenario = {
    ...loaded,
    github: {
      ...github,
      workflowRuns: Array.from({ length: runs }, (_, i) => shiftRun(run, RUN_ID + i, secondsAgo)),
      deployments: history ? github.deployments! : [],
    },
  };
  if (!ecr) delete result.ecr;
  return result;
}

async function deploy(
  inputs: Record<string, string>,
  { runId = RUN_ID, workspace }: { runId?: number; workspace?: string } = {},
) {
  return runAction('deploy-budget', {
    inputs: { budget: '5m', ...inputs },
    env: {
      ...sandbox!.env,
      GITHUB_RUN_ID: String(runId),
      FARGATE_DELIVERY_GITHUB_WRITE_INTERVAL_MS: '0',
    },
    ...(workspace ? { workspace } : {}),
  });
}

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

/** Deployments this action created (the fixture's have ids below 1000 in the sandbox). */
function measured() {
  const all = [...sandbox!.github!.state.deployments.values()];
  return all
    .filter((d) => d.task === 'deploy:budget')
    .map((d) => ({
      deployment: d,
      record: (d.payload as { 'deploy-budget': Record<string, unknown> })['deploy-budget'],
      statuses: sandbox!.github!.state.statuses.filter((s) => s.deployment_id === d.id),
    }));
}

function trackingIssues() {
  return sandbox!.github!.state.issuesWithLabel('deploy-budget');
}

function commentsOn(issueNumber: number) {
  return [...sandbox!.github!.state.comments.values()]
    .filter((c) => c.issue_number === issueNumber)
    .map((c) => c.body);
}

// What the deploy action reports for a CodeDeploy blue/green deploy: inside the Deploy step.
function deployPhases(stepStartedSecondsAgo: number) {
  const at = (s: number) => new Date(Date.now() - (stepStartedSecondsAgo - s) * 1000).toISOString();
  return JSON.stringify([
    { name: 'Install', startedAt: at(5), endedAt: at(135), seconds: 130 },
    { name: 'AllowTraffic', startedAt: at(135), endedAt: at(175), seconds: 40 },
  ]);
}

describe('deploy-budget against the sandbox', () => {
  test('a deploy over budget after ten deploys warns, is recorded, and shows where the time went', async () => {
    sandbox = await start(scenario({ secondsAgo: 400 }));
    // The fixture's Deploy step starts 3m17s into the run.
    const result = await deploy({ phases: deployPhases(400 - 197) });

    expect(result.exitCode).toBe(0);
    const seconds = Number(result.outputs['duration-seconds']);
    expect(seconds).toBeGreaterThanOrEqual(400);
    expect(seconds).toBeLessThan(410);
    expect(result.outputs).toMatchObject({
      'over-budget': 'true',
      regression: 'false',
      'slowest-phase': 'Install',
      'image-bytes': '',
    });
    // The last 20 deploys: the ten earlier ones (median 248) and this one.
    expect(result.outputs['median-seconds']).toBe('249');
    expect(result.outputs['p90-seconds']).toBe('256');
    expect(result.warnings).toEqual([
      expect.stringMatching(/^deploy took 6m4\ds, over its 5m budget by 1m4\ds$/),
    ]);

    expect(result.summary).toMatch(/\*\*Over budget\*\*: this deploy took \*\*6m4\ds\*\*/);
    expect(result.summary).toContain('No regression: the median of the last 3 deploys');
    expect(result.summary).toContain('| build | 2m |  | 1m58s | +2s |');
    expect(result.summary).toContain('| scan | 1m |  | 1m | +0s |');
    expect(result.summary).not.toContain('lint');
    expect(result.summary).toContain('| deploy / Deploy | 3m |');
    expect(result.summary).toContain('| ↳ Install | 2m10s |');
    expect(result.summary).toContain('- Slowest phase: `Install` (2m10s).');
    expect(result.summary).toContain('title "Deploy duration, production (last 11)"');
    expect(result.summary).toMatch(
      /bar \[238, 251, 244, 256, 241, 249, 247, 253, 245, 250, 40\d\]/,
    );
    expect(result.summary).toContain('10 earlier deploys for `production`');

    const created = measured().filter((m) => m.record.runId === String(RUN_ID));
    expect(created).toHaveLength(1);
    expect(created[0]!.deployment).toMatchObject({
      environment: 'production',
      ref: '0123456789abcdef0123456789abcdef01234567',
    });
    expect(created[0]!.record).toMatchObject({ durationSeconds: seconds, budgetSeconds: 300 });
    expect(created[0]!.record.phases).toMatchObject({ build: 120, Install: 130 });
    expect(created[0]!.statuses).toEqual([
      expect.objectContaining({
        state: 'success',
        description: expect.stringMatching(/^Took 6m4\ds of a 5m budget: over budget$/),
        log_url: 'https://github.com/acme/web/actions/runs/1001',
      }),
    ]);
    expect(trackingIssues()).toEqual([]);
  });

  test('fail mode fails the step in one line, after recording the deploy and its outputs', async () => {
    sandbox = await start(scenario());
    const result = await deploy({ 'on-exceeded': 'fail', 'started-at': ago(330) });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^Deploy budget for production exceeded: deploy took 5m3\ds, over its 5m budget by 3\ds$/,
      ),
    ]);
    expect(result.outputs['over-budget']).toBe('true');
    expect(result.summary).toContain('**Over budget**');
    expect(measured().filter((m) => m.record.runId === String(RUN_ID))).toHaveLength(1);
  });

  test('issue mode opens one tracking issue, updates it in place, and closes it on recovery', async () => {
    sandbox = await start(scenario({ runs: 3 }));
    // A 4-minute budget: these deploys are over it, but as fast as ever, so no regression.
    const inputs = { budget: '4m', 'on-exceeded': 'issue' };

    const breach = await deploy({ ...inputs, 'started-at': ago(252) }, { runId: 1001 });
    expect(breach.exitCode).toBe(0);
    expect(trackingIssues()).toHaveLength(1);
    const [issue] = trackingIssues();
    expect(issue).toMatchObject({ title: 'Deploy budget exceeded: production', state: 'open' });
    expect(issue!.body).toMatch(/^<!-- fargate-delivery:deploy-budget:production -->\n/);
    expect(issue!.body).toMatch(/- deploy took 4m1\ds, over its 4m budget by 1\ds/);
    expect(issue!.body).toContain('(https://github.com/acme/web/actions/runs/1001)');
    expect(breach.summary).toContain(`Tracking issue [#${issue!.number}]`);
    expect(breach.warnings).toEqual([
      expect.stringContaining(`(tracked in https://github.com/acme/web/issues/${issue!.number})`),
    ]);

    const again = await deploy({ ...inputs, 'started-at': ago(256) }, { runId: 1002 });
    expect(again.exitCode).toBe(0);
    expect(again.outputs.regression).toBe('false');
    expect(trackingIssues()).toHaveLength(1);
    expect(trackingIssues()[0]!.body).toContain('(https://github.com/acme/web/actions/runs/1002)');
    expect(again.summary).toContain(
      `Tracking issue [#${issue!.number}](https://github.com/acme/web/issues/${issue!.number}) updated.`,
    );

    const recovered = await deploy({ ...inputs, 'started-at': ago(225) }, { runId: 1003 });
    expect(recovered.exitCode).toBe(0);
    expect(recovered.outputs).toMatchObject({ 'over-budget': 'false', regression: 'false' });
    expect(recovered.warnings).toEqual([]);
    expect(trackingIssues()).toHaveLength(1);
    expect(trackingIssues()[0]).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(commentsOn(issue!.number)).toEqual([
      expect.stringMatching(
        /^Back under budget: the latest deploy took 3m4\ds of its 4m budget, with no regression \(\[run\]\(https:\/\/github.com\/acme\/web\/actions\/runs\/1003\)\)\. Closing\.$/,
      ),
    ]);
    expect(measured().filter((m) => Number(m.record.runId) >= 1001)).toHaveLength(3);
  });

  test('three slow deploys in a row: one slow deploy is noise, the second makes a regression', async () => {
    sandbox = await start(scenario({ runs: 3 }));
    const slow = (runId: number) => deploy({ budget: '10m', 'started-at': ago(370) }, { runId });

    const first = await slow(1001);
    expect(first.outputs).toMatchObject({ 'over-budget': 'false', regression: 'false' });
    expect(first.warnings).toEqual([]);

    const second = await slow(1002);
    expect(second.outputs).toMatchObject({ 'over-budget': 'false', regression: 'true' });
    expect(second.warnings).toEqual([
      expect.stringMatching(
        /^regression: median of the last 3 deploys \(6m1\ds\) is 2m\d+s \(\d+%\) slower than the median of the 9 before \(4m7s\)$/,
      ),
    ]);
    expect(second.summary).toContain('**Regression**: the median of the last 3 deploys');

    const third = await slow(1003);
    expect(third.outputs.regression).toBe('true');
    expect(third.summary).toContain('the median of the 10 before (4m8s)');
  });

  test('a bigger image is measured in ECR, reported as growth, and held to its budget', async () => {
    sandbox = await start(scenario({ ecr: true }));
    const image = `${sandbox.env.SANDBOX_REGISTRY}/web:v2`;
    const expected = (await sandbox.ecr!.handle('DescribeImages', {
      repositoryName: 'web',
      imageIds: [{ imageTag: 'v2' }],
    })) as { imageDetails: Array<{ imageSizeInBytes: number }> };
    const bytes = expected.imageDetails[0]!.imageSizeInBytes;

    const result = await deploy({ 'started-at': ago(240), image, 'image-budget': '20kB' });

    expect(result.exitCode).toBe(0);
    expect(result.outputs['image-bytes']).toBe(String(bytes));
    expect(result.outputs['over-budget']).toBe('true');
    expect(result.warnings).toEqual([
      expect.stringMatching(/^image is 4\d\.\d kB, over its 20 kB budget by 2\d\.\d kB$/),
    ]);
    expect(result.summary).toMatch(
      /- Image size grew by 4\d\.\d kB: 4\d\.\d kB against a median of 6 kB before it\./,
    );
    expect(result.summary).toContain('title "Image size, production"');
    expect(result.summary).toMatch(
      /y-axis "kB" 0 --> 5\d\n {2}bar \[(?:[56](?:\.\d)?, ){10}4\d\.\d\]\n {2}line \[20,/,
    );
    expect(sandbox.callsTo('DescribeImages', 'ecr')).toHaveLength(1);
    const record = measured().find((m) => m.record.runId === String(RUN_ID))!.record;
    expect(record.imageBytes).toBe(bytes);
  });

  test('the first deploy to an environment says there is no history and raises no alarm', async () => {
    sandbox = await start(scenario({ history: false }));
    const result = await deploy({ 'started-at': ago(200), 'on-exceeded': 'fail' });

    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({ 'over-budget': 'false', regression: 'false' });
    expect(result.summary).toContain(
      'No history yet: this is the first deploy recorded for `production`',
    );
    expect(result.warnings).toEqual([]);
  });

  test('a history file is created in the workspace and read back by the next deploy', async () => {
    sandbox = await start(scenario({ runs: 2, history: false }));
    const workspace = mkdtempSync(path.join(scratch, 'workspace-'));
    const inputs = { history: 'file:.github/deploy-budget.json', 'started-at': ago(200) };

    const first = await deploy(inputs, { runId: 1001, workspace });
    expect(first.exitCode).toBe(0);
    const second = await deploy({ ...inputs, 'started-at': ago(260) }, { runId: 1002, workspace });
    expect(second.exitCode).toBe(0);
    expect(second.summary).toContain('history file .github/deploy-budget.json, 1 earlier deploy');

    const file = JSON.parse(
      readFileSync(path.join(workspace, '.github/deploy-budget.json'), 'utf8'),
    );
    expect(file.environments.production.map((r: { runId: string }) => r.runId)).toEqual([
      '1001',
      '1002',
    ]);
    expect(measured().filter((m) => Number(m.record.runId) >= 1001)).toEqual([]);
  });
});
