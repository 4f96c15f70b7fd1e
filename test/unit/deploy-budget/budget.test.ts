import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import {
  type Clients,
  type RunContext,
  runBudget,
} from '../../../src/actions/deploy-budget/budget.ts';
import {
  DEPLOYMENT_TASK,
  deploymentsHistory,
  PAYLOAD_KEY,
} from '../../../src/actions/deploy-budget/history.ts';
import { getInputs } from '../../../src/actions/deploy-budget/inputs.ts';
import { ISSUE_LABEL, issueMarker } from '../../../src/actions/deploy-budget/issue.ts';
import { renderSummary } from '../../../src/actions/deploy-budget/report.ts';
import { runnerContext } from '../../../src/lib/context.ts';
import { createOctokit } from '../../../src/lib/github.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';
import { memoryLog } from '../../../src/lib/log.ts';
import { type FakeGitHub, startFakeGitHub } from './fake-github.ts';

const NOW = Date.parse('2024-05-01T12:10:00Z');
const repo = { owner: 'acme', repo: 'web' };

let github: FakeGitHub;
let warnings: string[];
const ecrMock = mockClient(ECRClient);

beforeEach(async () => {
  github = await startFakeGitHub();
  vi.stubEnv('GITHUB_API_URL', github.url);
  warnings = [];
  ecrMock.reset();
});
afterEach(async () => {
  await github.close();
});

function context(runId: string | undefined = '42'): RunContext {
  return {
    repo,
    runner: runnerContext({ GITHUB_RUN_ID: runId, GITHUB_SHA: 'abc123' }),
    now: () => NOW,
    log: { ...memoryLog(), warning: (m) => warnings.push(m) },
  };
}

function clients(): Clients {
  const octokit = createOctokit('t0ken', { writeIntervalMs: 0 });
  return {
    octokit,
    history: deploymentsHistory(octokit, repo),
    ecr: new ECRClient({ region: 'us-east-1' }),
  };
}

function inputs(values: Record<string, string> = {}) {
  return getInputs(mapInputs({ budget: '5m', 'github-token': 't', ...values }));
}

/** Earlier deploys to production, oldest first, as this action records them. */
function seed(durations: number[], extra: (i: number) => Record<string, unknown> = () => ({})) {
  durations.forEach((durationSeconds, i) => {
    const at = new Date(NOW - (durations.length - i) * 86_400_000).toISOString();
    github.deployments.push({
      id: i + 1,
      environment: 'production',
      task: DEPLOYMENT_TASK,
      ref: 'old',
      payload: { [PAYLOAD_KEY]: { at, durationSeconds, runId: String(i + 1), ...extra(i) } },
      created_at: at,
      statuses: [{ state: 'success' }],
    });
  });
}

const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();

describe('measuring a deploy', () => {
  test("takes the workflow run's start and its jobs, and records the deploy", async () => {
    github.run = {
      run_started_at: minutesAgo(4),
      jobs: [
        {
          name: 'build',
          status: 'completed',
          conclusion: 'success',
          started_at: minutesAgo(4),
          completed_at: minutesAgo(2),
        },
        {
          name: 'deploy',
          status: 'in_progress',
          started_at: minutesAgo(2),
          steps: [
            {
              name: 'Deploy',
              status: 'completed',
              conclusion: 'success',
              started_at: minutesAgo(2),
              completed_at: minutesAgo(0.5),
            },
          ],
        },
      ],
    };
    const report = await runBudget(inputs(), clients(), context());
    expect(report.durationSeconds).toBe(240);
    expect(report.phases.map((p) => [p.name, p.seconds])).toEqual([
      ['build', 120],
      ['deploy / Deploy', 90],
    ]);
    expect(report.verdict).toMatchObject({
      overBudget: false,
      exceeded: false,
      medianSeconds: 240,
    });
    expect(report.verdict.slowest?.name).toBe('build');
    expect(report.previous).toEqual([]);
    expect(github.deployments).toHaveLength(1);
    expect(github.deployments[0]!.payload).toEqual({
      [PAYLOAD_KEY]: {
        at: new Date(NOW).toISOString(),
        durationSeconds: 240,
        sha: 'abc123',
        runId: '42',
        budgetSeconds: 300,
        phases: { build: 120, 'deploy / Deploy': 90 },
      },
    });
    expect(github.deployments[0]!.statuses[0]).toMatchObject({
      state: 'success',
      description: 'Took 4m of a 5m budget: within budget',
      log_url: 'https://github.com/acme/web/actions/runs/42',
    });
  });

  test('from its own job: earlier jobs are left out, and the approval wait is a phase outside the budget', async () => {
    const job = (name: string, from: number, to: number) => ({
      name,
      status: 'completed',
      conclusion: 'success',
      started_at: minutesAgo(from),
      completed_at: minutesAgo(to),
    });
    github.run = {
      run_started_at: minutesAgo(60),
      jobs: [
        job('staging / Build and push', 60, 55),
        job('staging / Deploy', 50, 45),
        job('production / Build and push', 44, 43),
        job('production / Scan gate', 43, 40),
        { name: 'production / Deploy', status: 'in_progress', started_at: minutesAgo(4) },
      ],
    };
    const report = await runBudget(
      inputs({ 'started-at': minutesAgo(4), 'waiting-since': minutesAgo(40) }),
      clients(),
      context(),
    );
    // 4 minutes from the deploy job's start, not the hour since the run began.
    expect(report.durationSeconds).toBe(240);
    expect(report.verdict.overBudget).toBe(false);
    expect(report.phases.map((p) => [p.name, p.seconds, p.source])).toEqual([
      ['Approval wait', 2160, 'wait'],
    ]);
    // The longest phase is the wait, but the slowest part of the deploy is what is reported.
    expect(report.verdict.slowest).toBeUndefined();
    expect(renderSummary(report)).toMatch(/\| Approval wait \| 36m \| not counted \|/);
  });

  test('an approval wait that ends long before it begins is refused, naming the input', async () => {
    await expect(
      runBudget(
        inputs({ 'started-at': minutesAgo(4), 'waiting-since': minutesAgo(2) }),
        clients(),
        context(),
      ),
    ).rejects.toThrow(/^waiting-since: 2024-05-01T12:08:00.000Z is after started-at/);
  });

  test('started-at overrides the run start, and no jobs access costs only the phases', async () => {
    github.failures.set('GET /repos/acme/web/actions/runs/42/jobs', 403);
    const report = await runBudget(inputs({ 'started-at': minutesAgo(7) }), clients(), context());
    expect(report.durationSeconds).toBe(420);
    expect(report.phases).toEqual([]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^Phases from the workflow run's jobs are missing \(the token needs actions: read\): GitHub API GET .* failed with 403/,
      ),
    ]);
    expect(github.requests).not.toContain('GET /repos/acme/web/actions/runs/42');
  });

  test('without started-at or a run id the start is unknown and says what to give', async () => {
    await expect(runBudget(inputs(), clients(), context(''))).rejects.toThrow(
      'started-at: not given and GITHUB_RUN_ID is not set, so the pipeline start is unknown: give started-at',
    );
  });

  test('an unreadable run start explains the permission it needs', async () => {
    github.failures.set('GET /repos/acme/web/actions/runs/42', 403);
    await expect(runBudget(inputs(), clients(), context())).rejects.toThrow(
      /^started-at: not given, and the workflow run's start could not be read \(the token needs actions: read\)/,
    );
  });

  test('a start in the future is refused rather than measured as a negative deploy', async () => {
    await expect(
      runBudget(inputs({ 'started-at': '2024-05-01T13:00:00Z' }), clients(), context()),
    ).rejects.toThrow('started-at: 2024-05-01T13:00:00.000Z is in the future');
  });

  test("the image's size is read from ECR and kept with the deploy", async () => {
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageSizeInBytes: 250e6 }] });
    seed([200, 210], () => ({ imageBytes: 200e6 }));
    const report = await runBudget(
      inputs({ 'started-at': minutesAgo(4), image: 'web:v2', 'image-budget': '240MB' }),
      clients(),
      context(),
    );
    expect(report.imageBytes).toBe(250e6);
    expect(report.verdict.imageGrowth).toMatchObject({ delta: 50e6 });
    expect(report.verdict.breaches).toEqual([{ kind: 'image', actual: 250e6, limit: 240e6 }]);
    expect(
      (github.deployments.at(-1)!.payload as Record<string, { imageBytes: number }>)[PAYLOAD_KEY]!
        .imageBytes,
    ).toBe(250e6);
  });
});

describe('judging against history', () => {
  const steady = [240, 250, 245, 255, 240, 250, 248, 252, 246, 250];

  test('a single slow deploy over a steady history is over budget but not a regression', async () => {
    seed(steady);
    const report = await runBudget(inputs({ 'started-at': minutesAgo(6) }), clients(), context());
    expect(report.previous).toHaveLength(10);
    expect(report.verdict).toMatchObject({ overBudget: true, exceeded: true });
    expect(report.verdict.regression).toMatchObject({ judged: true, regression: false });
  });

  test('the third slow deploy in a row is a regression even within budget', async () => {
    seed([...steady, 400, 410]);
    const report = await runBudget(
      inputs({ budget: '10m', 'started-at': minutesAgo(6.75) }),
      clients(),
      context(),
    );
    expect(report.verdict.overBudget).toBe(false);
    expect(report.verdict.regression.regression).toBe(true);
  });

  test('a re-run does not compare itself with its own first attempt', async () => {
    seed(steady);
    seed([900]);
    github.deployments.at(-1)!.payload = {
      [PAYLOAD_KEY]: { at: minutesAgo(30), durationSeconds: 900, runId: '42' },
    };
    const report = await runBudget(inputs({ 'started-at': minutesAgo(4) }), clients(), context());
    expect(report.previous.map((r) => r.durationSeconds)).not.toContain(900);
  });
});

describe('the tracking issue', () => {
  const issueInputs = (minutes: number) =>
    inputs({ 'on-exceeded': 'issue', 'started-at': minutesAgo(minutes) });

  test('is opened once, updated in place, closed on recovery and reopened on the next breach', async () => {
    github.issues.push({
      number: 1,
      title: 'Deploy budget exceeded: staging',
      body: `${issueMarker('staging')}\nold`,
      state: 'open',
      labels: [ISSUE_LABEL],
      comments: [],
    });

    const first = await runBudget(issueInputs(6), clients(), context('1'));
    expect(first.issue?.action).toBe('opened');
    expect(github.issues).toHaveLength(2);
    const issue = github.issues[1]!;
    expect(issue).toMatchObject({
      title: 'Deploy budget exceeded: production',
      state: 'open',
      labels: [ISSUE_LABEL],
    });
    expect(issue.body.startsWith('<!-- fargate-delivery:deploy-budget:production -->\n')).toBe(
      true,
    );
    expect(issue.body).toContain('deploy took 6m, over its 5m budget by 1m');

    const second = await runBudget(issueInputs(7), clients(), context('2'));
    expect(second.issue).toMatchObject({ action: 'updated', issue: { number: 2 } });
    expect(github.issues).toHaveLength(2);
    expect(issue.body).toContain('deploy took 7m, over its 5m budget by 2m');

    const third = await runBudget(issueInputs(4), clients(), context('3'));
    expect(third.issue).toMatchObject({ action: 'closed', issue: { number: 2, state: 'closed' } });
    expect(issue.state).toBe('closed');
    expect(issue.comments).toEqual([
      'Back under budget: the latest deploy took 4m of its 5m budget, with no regression ([run](https://github.com/acme/web/actions/runs/3)). Closing.',
    ]);
    expect(github.issues[0]!.state).toBe('open');

    const fourth = await runBudget(issueInputs(4), clients(), context('4'));
    expect(fourth.issue).toEqual({ action: 'none' });

    const fifth = await runBudget(issueInputs(8), clients(), context('5'));
    expect(fifth.issue).toMatchObject({ action: 'reopened', issue: { number: 2 } });
    expect(github.issues).toHaveLength(2);
    expect(issue.state).toBe('open');
    expect(issue.comments.at(-1)).toBe(
      'Exceeded again ([run](https://github.com/acme/web/actions/runs/5)): deploy took 8m, over its 5m budget by 3m.',
    );
  });

  test('is found among many labelled issues across pages', async () => {
    for (let i = 1; i <= 150; i++) {
      github.issues.push({
        number: i,
        title: `other ${i}`,
        body: i === 3 ? `${issueMarker('production')}\nbody` : 'no marker',
        state: 'open',
        labels: [ISSUE_LABEL],
        comments: [],
      });
    }
    const report = await runBudget(issueInputs(6), clients(), context());
    expect(report.issue).toMatchObject({ action: 'updated', issue: { number: 3 } });
    expect(github.issues).toHaveLength(150);
  });

  test('is left alone in warn mode', async () => {
    const report = await runBudget(inputs({ 'started-at': minutesAgo(6) }), clients(), context());
    expect(report.issue).toBeUndefined();
    expect(github.requests.filter((r) => r.includes('/issues'))).toEqual([]);
  });
});
