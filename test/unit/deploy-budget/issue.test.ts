import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import {
  ISSUE_LABEL,
  issueMarker,
  syncTrackingIssue,
} from '../../../src/actions/deploy-budget/issue.ts';
import { createOctokit } from '../../../src/lib/github.ts';
import { BODY_LIMIT } from '../../../src/lib/markdown.ts';
import { type FakeGitHub, startFakeGitHub } from './fake-github.ts';

let github: FakeGitHub;
const repo = { owner: 'acme', repo: 'web' };

beforeEach(async () => {
  github = await startFakeGitHub();
  vi.stubEnv('GITHUB_API_URL', github.url);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await github.close();
});

const writes = () => github.requests.filter((r) => !r.startsWith('GET '));
const exceeded = (body: string) => ({
  exceeded: true,
  body,
  recoveredComment: 'Back under budget.',
  exceededAgainComment: 'Exceeded again.',
});

describe('the tracking issue', () => {
  test('a re-run with the same measurement writes nothing', async () => {
    const octokit = createOctokit('t0ken', { writeIntervalMs: 0 });
    const first = await syncTrackingIssue(octokit, repo, 'production', exceeded('took 6m'));
    expect(first).toMatchObject({ action: 'opened', issue: { number: 1 } });
    github.requests.length = 0;

    const again = await syncTrackingIssue(octokit, repo, 'production', exceeded('took 6m'));
    expect(again).toEqual({
      action: 'unchanged',
      issue: { number: 1, state: 'open', url: 'https://github.com/acme/web/issues/1' },
    });
    expect(writes()).toEqual([]);
  });

  test("another environment's issue, or ours quoted in a code block, is not this environment's", async () => {
    github.issues.push(
      {
        number: 1,
        title: 'Deploy budget exceeded: production-eu',
        body: `${issueMarker('production-eu')}\nslow`,
        state: 'open',
        labels: [ISSUE_LABEL],
        comments: [],
      },
      {
        number: 2,
        title: 'What is this marker?',
        body: `\`\`\`\n${issueMarker('production')}\n\`\`\``,
        state: 'open',
        labels: [ISSUE_LABEL],
        comments: [],
      },
    );
    const octokit = createOctokit('t0ken', { writeIntervalMs: 0 });
    const outcome = await syncTrackingIssue(octokit, repo, 'production', exceeded('took 6m'));
    expect(outcome).toMatchObject({ action: 'opened', issue: { number: 3 } });
    expect(writes()).toEqual(['POST /repos/acme/web/issues']);
  });

  test('a body longer than GitHub allows is cut to fit, marker first, rather than failing', async () => {
    const octokit = createOctokit('t0ken', { writeIntervalMs: 0 });
    await syncTrackingIssue(octokit, repo, 'production', exceeded('x'.repeat(BODY_LIMIT)));
    const [issue] = github.issues;
    expect(issue!.body.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(issue!.body.length).toBeGreaterThan(BODY_LIMIT - 1000);
    expect(issue!.body).toMatch(/cut here to stay within GitHub/);
    expect(issue!.body.startsWith(`${issueMarker('production')}\n`)).toBe(true);
  });

  test('GitHub refusing the write is reported, not thrown: the verdict still stands', async () => {
    github.failures.set('POST /repos/acme/web/issues', 403);
    const octokit = createOctokit('t0ken', { writeIntervalMs: 0 });
    const outcome = await syncTrackingIssue(octokit, repo, 'production', exceeded('took 6m'));
    expect(outcome).toEqual({
      action: 'none',
      refused: expect.stringMatching(/^tracking issue: GitHub refused it: .*403/),
    });
  });
});
