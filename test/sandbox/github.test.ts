import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getOctokit } from '@actions/github';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitHub, type GitHubModule, type GitHubScenario } from './github.ts';
import type { Clock } from './types.ts';

function manualClock(start = Date.UTC(2025, 2, 3, 10)): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    speed: 1,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

const scenario: GitHubScenario = {
  repository: 'acme/web',
  token: 'sandbox-token',
  labels: [{ name: 'security', color: 'b60205', description: 'Vulnerability tickets' }, 'ecr-scan'],
  issues: [
    ...Array.from({ length: 45 }, (_, n) => ({
      title: `Finding ${n + 1}`,
      body: `<!-- key:${n + 1} -->`,
      labels: n % 3 === 0 ? ['security', 'ecr-scan'] : ['security'],
      created_at: new Date(Date.UTC(2025, 0, 1) + n * 60_000).toISOString(),
    })),
    {
      title: 'Old finding',
      state: 'closed',
      state_reason: 'completed',
      labels: ['security', 'ecr-scan'],
    },
  ],
  pulls: [
    { title: 'Bump base image', head: { ref: 'bump', sha: 'a'.repeat(40) }, labels: ['security'] },
  ],
  workflowRuns: [
    {
      id: 9001,
      name: 'deploy',
      run_attempt: 2,
      run_started_at: '2025-03-03T09:00:00Z',
      jobs: [
        ...Array.from({ length: 3 }, (_, n) => ({ name: `attempt-1 job ${n}`, run_attempt: 1 })),
        {
          name: 'build',
          run_attempt: 2,
          started_at: '2025-03-03T09:00:05Z',
          completed_at: '2025-03-03T09:03:05Z',
          steps: [
            {
              name: 'Checkout',
              started_at: '2025-03-03T09:00:06Z',
              completed_at: '2025-03-03T09:00:10Z',
            },
            {
              name: 'Build image',
              started_at: '2025-03-03T09:00:10Z',
              completed_at: '2025-03-03T09:03:00Z',
            },
          ],
        },
        {
          name: 'deploy',
          run_attempt: 2,
          status: 'in_progress',
          started_at: '2025-03-03T09:03:10Z',
        },
      ],
    },
  ],
};

let github: GitHubModule;
let server: http.Server;
let baseUrl: string;
const clock = manualClock();

beforeAll(async () => {
  github = createGitHub(scenario, { clock });
  server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const text = Buffer.concat(chunks).toString();
    const out = await github.handle({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
    });
    res.writeHead(out.status, {
      'content-type': 'application/json; charset=utf-8',
      ...out.headers,
    });
    res.end(out.body === undefined ? '' : JSON.stringify(out.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const octokit = () => getOctokit('sandbox-token', { baseUrl });
const repo = { owner: 'acme', repo: 'web' };

describe('GitHub simulator behind a real Octokit', () => {
  it('refuses a wrong token', async () => {
    const stranger = getOctokit('wrong', { baseUrl });
    await expect(stranger.rest.issues.get({ ...repo, issue_number: 1 })).rejects.toMatchObject({
      status: 401,
      message: expect.stringContaining('Bad credentials'),
    });
  });

  it('pages through issues by label with Link headers until every match is seen', async () => {
    const first = await octokit().rest.issues.listForRepo({
      ...repo,
      labels: 'security',
      per_page: 10,
    });
    expect(first.data).toHaveLength(10);
    expect(first.headers.link).toMatch(
      new RegExp(`^<${baseUrl}/repos/acme/web/issues\\?.*page=2.*>; rel="next"`),
    );
    const all = await octokit().paginate(octokit().rest.issues.listForRepo, {
      ...repo,
      labels: 'security',
      per_page: 10,
    });
    // 45 open issues and the open pull request: the issues list includes pull requests.
    expect(all).toHaveLength(46);
    expect(all.filter((i) => i.pull_request)).toHaveLength(1);
    expect(all[0]?.title).toBe('Bump base image');
  });

  it('requires every listed label to match, and filters by state', async () => {
    const both = await octokit().paginate(octokit().rest.issues.listForRepo, {
      ...repo,
      labels: 'security,ecr-scan',
      state: 'all',
      per_page: 100,
    });
    expect(both).toHaveLength(16);
    const closed = await octokit().rest.issues.listForRepo({
      ...repo,
      labels: 'ecr-scan',
      state: 'closed',
    });
    expect(closed.data.map((i) => [i.title, i.state, i.state_reason])).toEqual([
      ['Old finding', 'closed', 'completed'],
    ]);
  });

  it('caps per_page at 100', async () => {
    const res = await octokit().rest.issues.listForRepo({ ...repo, state: 'all', per_page: 500 });
    expect(res.data).toHaveLength(47);
    const labels = await octokit().rest.issues.listLabelsForRepo({ ...repo, per_page: 1 });
    expect(labels.data).toHaveLength(1);
  });

  it('creates an issue with new labels, stamps it with the simulated clock and counts the write', async () => {
    const writes = github.state.writeCalls;
    clock.advance(90_000);
    const created = await octokit().rest.issues.create({
      ...repo,
      title: 'CVE-2024-6387 in openssh-client',
      body: 'details',
      labels: ['security', 'severity:high'],
    });
    expect(created.status).toBe(201);
    expect(created.data.number).toBe(48);
    expect(created.data.created_at).toBe('2025-03-03T10:01:30Z');
    expect(created.data.labels.map((l) => (typeof l === 'string' ? l : l.name))).toEqual([
      'security',
      'severity:high',
    ]);
    const label = await octokit().rest.issues.getLabel({ ...repo, name: 'severity:high' });
    expect(label.data.color).toBe('ededed');
    expect(github.state.writeCalls).toBe(writes + 1);
  });

  it('rejects bodies over 65,536 characters with GitHub’s validation error', async () => {
    const error = await octokit()
      .rest.issues.create({ ...repo, title: 'huge', body: 'x'.repeat(65_537) })
      .catch((e: unknown) => e as { status: number; response: { data: Record<string, unknown> } });
    expect(error).toMatchObject({
      status: 422,
      response: {
        data: {
          message: 'Validation Failed',
          errors: [
            {
              resource: 'Issue',
              field: 'body',
              code: 'custom',
              message: 'body is too long (maximum is 65536 characters)',
            },
          ],
        },
      },
    });
    await expect(
      octokit().rest.issues.create({
        ...repo,
        title: 'exactly at the limit',
        body: 'y'.repeat(65_536),
      }),
    ).resolves.toMatchObject({ status: 201 });
  });

  it('updates and closes an issue, and reopens it', async () => {
    const issue = (await octokit().rest.issues.create({ ...repo, title: 'to close' })).data;
    clock.advance(60_000);
    const closed = await octokit().rest.issues.update({
      ...repo,
      issue_number: issue.number,
      state: 'closed',
      state_reason: 'not_planned',
      body: 'fixed upstream',
      labels: ['ecr-scan'],
    });
    expect(closed.data).toMatchObject({
      state: 'closed',
      state_reason: 'not_planned',
      body: 'fixed upstream',
      closed_at: '2025-03-03T10:02:30Z',
    });
    const reopened = await octokit().rest.issues.update({
      ...repo,
      issue_number: issue.number,
      state: 'open',
    });
    expect(reopened.data).toMatchObject({
      state: 'open',
      state_reason: 'reopened',
      closed_at: null,
    });
    const fetched = await octokit().rest.issues.get({ ...repo, issue_number: issue.number });
    expect(fetched.data.labels).toHaveLength(1);
  });

  it('creates, lists, edits and deletes comments', async () => {
    const kit = octokit();
    for (let n = 0; n < 3; n++)
      await kit.rest.issues.createComment({ ...repo, issue_number: 1, body: `c${n}` });
    const listed = await kit.paginate(kit.rest.issues.listComments, {
      ...repo,
      issue_number: 1,
      per_page: 2,
    });
    expect(listed.map((c) => c.body)).toEqual(['c0', 'c1', 'c2']);
    const target = listed[1];
    await kit.rest.issues.updateComment({
      ...repo,
      comment_id: target?.id ?? 0,
      body: '<!-- marker --> edited',
    });
    await kit.rest.issues.deleteComment({ ...repo, comment_id: listed[0]?.id ?? 0 });
    const after = await kit.rest.issues.listComments({ ...repo, issue_number: 1 });
    expect(after.data.map((c) => c.body)).toEqual(['<!-- marker --> edited', 'c2']);
    const issue = await kit.rest.issues.get({ ...repo, issue_number: 1 });
    expect(issue.data.comments).toBe(2);
    await expect(
      kit.rest.issues.deleteComment({ ...repo, comment_id: 424242 }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('gets a pull request with its head sha', async () => {
    const pull = await octokit().rest.pulls.get({ ...repo, pull_number: 47 });
    expect(pull.data.head).toMatchObject({ ref: 'bump', sha: 'a'.repeat(40) });
    await expect(octokit().rest.pulls.get({ ...repo, pull_number: 1 })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('records deployments and statuses, newest first, and retires earlier successes', async () => {
    const kit = octokit();
    const first = await kit.rest.repos.createDeployment({
      ...repo,
      ref: 'v1.0.0',
      environment: 'staging',
      payload: { image: 'web@sha256:1' },
      auto_merge: false,
    });
    if (first.status !== 201) throw new Error('expected a deployment');
    await kit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: first.data.id,
      state: 'success',
      log_url: 'https://example.test/logs/1',
    });
    clock.advance(3_600_000);
    const second = await kit.rest.repos.createDeployment({
      ...repo,
      ref: 'v1.1.0',
      environment: 'staging',
      auto_merge: false,
    });
    if (second.status !== 201) throw new Error('expected a deployment');
    await kit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: second.data.id,
      state: 'in_progress',
    });
    await kit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: second.data.id,
      state: 'success',
    });

    const listed = await kit.rest.repos.listDeployments({ ...repo, environment: 'staging' });
    expect(listed.data.map((d) => d.ref)).toEqual(['v1.1.0', 'v1.0.0']);
    expect(listed.data[1]?.payload).toEqual({ image: 'web@sha256:1' });
    const firstStatuses = await kit.rest.repos.listDeploymentStatuses({
      ...repo,
      deployment_id: first.data.id,
    });
    expect(firstStatuses.data.map((s) => s.state)).toEqual(['inactive', 'success']);
    expect(firstStatuses.data[1]).toMatchObject({
      log_url: 'https://example.test/logs/1',
      environment: 'staging',
    });
    const secondStatuses = await kit.rest.repos.listDeploymentStatuses({
      ...repo,
      deployment_id: second.data.id,
    });
    expect(secondStatuses.data.map((s) => [s.state, s.created_at])).toEqual([
      ['success', '2025-03-03T11:02:30Z'],
      ['in_progress', '2025-03-03T11:02:30Z'],
    ]);
    await expect(
      kit.rest.repos.createDeploymentStatus({
        ...repo,
        deployment_id: first.data.id,
        state: 'exploded' as 'success',
      }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it('serves a workflow run and pages its latest attempt’s jobs with their steps', async () => {
    const kit = octokit();
    const run = await kit.rest.actions.getWorkflowRun({ ...repo, run_id: 9001 });
    expect(run.data).toMatchObject({ id: 9001, name: 'deploy', run_attempt: 2 });
    const jobs = await kit.paginate(kit.rest.actions.listJobsForWorkflowRun, {
      ...repo,
      run_id: 9001,
      per_page: 1,
    });
    expect(jobs.map((j) => j.name)).toEqual(['build', 'deploy']);
    expect(jobs[0]).toMatchObject({
      started_at: '2025-03-03T09:00:05Z',
      completed_at: '2025-03-03T09:03:05Z',
      conclusion: 'success',
    });
    expect(jobs[0]?.steps?.map((s) => [s.number, s.name, s.completed_at])).toEqual([
      [1, 'Checkout', '2025-03-03T09:00:10Z'],
      [2, 'Build image', '2025-03-03T09:03:00Z'],
    ]);
    expect(jobs[1]).toMatchObject({ status: 'in_progress', conclusion: null, completed_at: null });
    const everything = await kit.rest.actions.listJobsForWorkflowRun({
      ...repo,
      run_id: 9001,
      filter: 'all',
    });
    expect(everything.data.total_count).toBe(5);
  });

  it('answers unknown routes and other repositories with 404 Not Found', async () => {
    const res = await fetch(`${baseUrl}/repos/acme/web/nonsense`, {
      headers: { authorization: 'token sandbox-token' },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ message: 'Not Found' });
    await expect(
      octokit().rest.issues.get({ owner: 'acme', repo: 'other', issue_number: 1 }),
    ).rejects.toMatchObject({ status: 404 });
  });
});
