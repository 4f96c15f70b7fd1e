// The shared GitHub helper against the sandbox's GitHub simulator (GitHub's shapes, Link paging,
// label filters and body limit) behind the real client every action builds, counting each read
// and write the helper makes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import {
  createIssue,
  createOctokit,
  findComment,
  findIssues,
  hasMarker,
  hiddenMarker,
  readMarker,
  updateIssue,
  upsertComment,
} from '../../../src/lib/github.ts';
import { BODY_LIMIT } from '../../../src/lib/markdown.ts';
import { createGitHub, type GitHubModule, type GitHubScenario } from '../../sandbox/github.ts';

const repo = { owner: 'acme', repo: 'web' };
const TOKEN = 'sandbox-token';

let github: GitHubModule;
let server: http.Server | undefined;
/** `METHOD /path?query` of every request, in order. */
let requests: string[];

const reads = () => requests.filter((r) => r.startsWith('GET '));
const writes = () => requests.filter((r) => !r.startsWith('GET '));

async function start(scenario: Omit<GitHubScenario, 'repository' | 'token'>) {
  github = createGitHub(
    { repository: 'acme/web', token: TOKEN, ...scenario },
    { clock: { speed: 1, now: () => Date.now(), sleep: async () => {} } },
  );
  requests = [];
  server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const text = Buffer.concat(chunks).toString();
    const out = await github.handle({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
    });
    res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
    res.end(out.body === undefined ? '' : JSON.stringify(out.body));
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  vi.stubEnv('GITHUB_API_URL', `http://127.0.0.1:${(listening.address() as AddressInfo).port}`);
  return createOctokit(TOKEN, { writeIntervalMs: 0 });
}

beforeEach(() => {
  requests = [];
});

afterEach(async () => {
  vi.unstubAllEnvs();
  const open = server;
  server = undefined;
  if (open) await new Promise((resolve) => open.close(resolve));
});

const mine = hiddenMarker('deploy-budget', 'production');

describe('the hidden marker', () => {
  test('is one HTML comment line naming the project, the kind and the key', () => {
    expect(mine).toBe('<!-- fargate-delivery:deploy-budget:production -->');
    expect(readMarker(`${mine}\nDeploys are slow.`, 'deploy-budget')).toBe('production');
  });

  test('keeps any key on its one line: spaces, arrows and line breaks are escaped and read back', () => {
    const key = 'eu west --> prod\n<b>%';
    const marker = hiddenMarker('deploy-budget', key);
    expect(marker).toBe(
      '<!-- fargate-delivery:deploy-budget:eu%20west%20--%3E%20prod%0A%3Cb%3E%25 -->',
    );
    expect(readMarker(`${marker}\nbody`, 'deploy-budget')).toBe(key);
    expect(readMarker(`${marker}\nbody`, 'ecr-scan-ticket')).toBeUndefined();
  });

  test('counts only where GitHub hides it: its own line, outside fenced code', () => {
    const quoted = [
      ['in a backtick fence', `Our bot wrote:\n\`\`\`\n${mine}\n\`\`\``],
      ['in a tilde fence', `~~~markdown\n${mine}\n~~~`],
      ['in an unclosed fence', `\`\`\`\n${mine}`],
      ['in a longer fence a shorter run does not close', `\`\`\`\`\n\`\`\`\n${mine}\n\`\`\`\``],
      ['as inline code', `see \`${mine}\``],
      ['in a quote', `> ${mine}`],
      ['indented as code', `    ${mine}`],
      ['with text after it', `${mine} thanks`],
      ['for a longer key', '<!-- fargate-delivery:deploy-budget:production-eu -->'],
      ['under another prefix', '<!-- deploy-budget:production -->'],
    ];
    for (const [where, body] of quoted) {
      expect(hasMarker(body, mine), where).toBe(false);
      expect(readMarker(body, 'deploy-budget'), where).not.toBe('production');
    }
    const hidden = [
      ['first', `${mine}\ntext`],
      ['after a closed fence', `\`\`\`\ncode\n\`\`\`\n${mine}`],
      ['after an inline code run that opens no fence', `\`\`\` a \`b\` \n${mine}`],
      ['with browser line ends', `intro\r\n${mine}\r\nmore`],
    ];
    for (const [where, body] of hidden) expect(hasMarker(body, mine), where).toBe(true);
  });

  test('a marker-like line with a broken escape is not read as a key', () => {
    expect(readMarker('<!-- fargate-delivery:deploy-budget:%E0%A4 -->', 'deploy-budget')).toBe(
      undefined,
    );
  });
});

describe('finding issues by marker', () => {
  const label = 'deploy-budget';

  test('pages through every labelled issue, 100 a page, and returns only the marked ones', async () => {
    const octokit = await start({
      issues: [
        ...Array.from({ length: 250 }, (_, n) => ({
          title: `other ${n + 1}`,
          body: 'no marker here',
          labels: [label],
        })),
        { title: 'ours', body: `${mine}\nslow`, labels: [label] },
        { title: 'unlabelled twin', body: `${mine}\nslow` },
      ],
    });
    const found = await findIssues(octokit, repo, {
      labels: [label],
      state: 'all',
      kind: 'deploy-budget',
      key: 'production',
    });
    expect(found.map((i) => [i.number, i.title, i.key, i.marker])).toEqual([
      [251, 'ours', 'production', mine],
    ]);
    expect(reads()).toHaveLength(3);
    expect(reads().every((r) => /[?&]labels=deploy-budget(&|$)/.test(r))).toBe(true);
    expect(reads().every((r) => /[?&]per_page=100(&|$)/.test(r))).toBe(true);
    expect(writes()).toEqual([]);
  });

  test('needs every label, skips pull requests and honours the state asked for', async () => {
    const ticket = (key: string) => `${hiddenMarker('ecr-scan-ticket', key)}\nCVE`;
    const octokit = await start({
      issues: [
        { title: 'both labels', body: ticket('a'), labels: ['security', 'ecr-scan'] },
        { title: 'one label', body: ticket('b'), labels: ['security'] },
        {
          title: 'closed',
          body: ticket('c'),
          labels: ['security', 'ecr-scan'],
          state: 'closed',
          state_reason: 'not_planned',
        },
      ],
      pulls: [{ title: 'a PR', body: ticket('d'), labels: ['security', 'ecr-scan'] }],
    });
    const query = { labels: ['security', 'ecr-scan'], kind: 'ecr-scan-ticket' };
    expect(
      (await findIssues(octokit, repo, { ...query, state: 'all' })).map((i) => [
        i.key,
        i.state,
        i.stateReason,
      ]),
    ).toEqual([
      ['c', 'closed', 'not_planned'],
      ['a', 'open', null],
    ]);
    expect(
      (await findIssues(octokit, repo, { ...query, state: 'open' })).map((i) => i.key),
    ).toEqual(['a']);
  });

  test("a person's issue quoting the marker in a code block is not taken for ours", async () => {
    const octokit = await start({
      issues: [
        {
          title: 'Why does the bot write this?',
          body: `I saw this in the tracking issue:\n\`\`\`\n${mine}\n\`\`\``,
          labels: [label],
        },
      ],
    });
    expect(
      await findIssues(octokit, repo, { labels: [label], state: 'all', kind: 'deploy-budget' }),
    ).toEqual([]);
  });
});

describe('writing issues', () => {
  const label = 'deploy-budget';
  const body = `${mine}\nDeploys take 6m.`;
  const find = async (octokit: ReturnType<typeof createOctokit>) => {
    const [issue] = await findIssues(octokit, repo, {
      labels: [label],
      state: 'all',
      kind: 'deploy-budget',
      key: 'production',
    });
    return issue!;
  };

  test('creates an issue with its labels; the same content again writes nothing', async () => {
    const octokit = await start({});
    const created = await createIssue(octokit, repo, {
      title: 'Deploy budget exceeded: production',
      body,
      labels: [label],
      marker: mine,
    });
    expect(created).toMatchObject({ action: 'opened', number: 1, state: 'open', writes: 1 });
    expect(created.url).toMatch(/\/acme\/web\/issues\/1$/);
    expect(github.state.issuesWithLabel(label).map((i) => i.body)).toEqual([body]);

    requests = [];
    const again = await updateIssue(octokit, repo, await find(octokit), {
      title: 'Deploy budget exceeded: production',
      body: `${body}\n`,
      labels: [label],
      state: 'open',
      comment: 'never posted: the state does not change',
    });
    expect(again).toMatchObject({ action: 'unchanged', writes: 0 });
    expect(writes()).toEqual([]);
    expect(github.state.writeCalls).toBe(1);
  });

  test('sends only what changed, and adds a missing label without dropping a person’s', async () => {
    const octokit = await start({
      issues: [{ title: 'Renamed by a person', body, labels: [label, 'triaged'] }],
    });
    const issue = await find(octokit);
    github.state.issues.get(1)!.labels = ['triaged'];
    const result = await updateIssue(
      octokit,
      repo,
      { ...issue, labels: ['triaged'] },
      {
        body: `${mine}\nDeploys take 7m.`,
        labels: [label],
      },
    );
    expect(result).toMatchObject({ action: 'updated', title: 'Renamed by a person', writes: 1 });
    expect(writes()).toEqual(['PATCH /repos/acme/web/issues/1']);
    expect(github.state.issues.get(1)).toMatchObject({
      title: 'Renamed by a person',
      body: `${mine}\nDeploys take 7m.`,
      labels: ['triaged', label],
    });
  });

  test('closes with the comment first, then reopens with the comment after', async () => {
    const octokit = await start({ issues: [{ title: 'Slow', body, labels: [label] }] });
    const closed = await updateIssue(octokit, repo, await find(octokit), {
      state: 'closed',
      stateReason: 'completed',
      comment: 'Back under budget. Closing.',
    });
    expect(closed).toMatchObject({ action: 'closed', state: 'closed', writes: 2 });
    expect(writes()).toEqual([
      'POST /repos/acme/web/issues/1/comments',
      'PATCH /repos/acme/web/issues/1',
    ]);
    expect(github.state.issues.get(1)).toMatchObject({
      state: 'closed',
      state_reason: 'completed',
    });

    requests = [];
    const closedAgain = await updateIssue(octokit, repo, await find(octokit), {
      state: 'closed',
      comment: 'Back under budget. Closing.',
    });
    expect(closedAgain).toMatchObject({ action: 'unchanged', writes: 0 });
    expect(writes()).toEqual([]);

    const reopened = await updateIssue(octokit, repo, await find(octokit), {
      state: 'open',
      body: `${mine}\nDeploys take 8m.`,
      comment: 'Exceeded again.',
    });
    expect(reopened).toMatchObject({ action: 'reopened', state: 'open', writes: 2 });
    expect(writes()).toEqual([
      'PATCH /repos/acme/web/issues/1',
      'POST /repos/acme/web/issues/1/comments',
    ]);
    expect(github.state.issues.get(1)).toMatchObject({
      state: 'open',
      body: `${mine}\nDeploys take 8m.`,
    });
    expect([...github.state.comments.values()].map((c) => c.body)).toEqual([
      'Back under budget. Closing.',
      'Exceeded again.',
    ]);
  });

  test('refuses a body over GitHub’s limit, naming the issue, before writing anything', async () => {
    const octokit = await start({ issues: [{ title: 'Slow', body, labels: [label] }] });
    const long = `${mine}\n${'x'.repeat(BODY_LIMIT)}`;
    await expect(
      updateIssue(octokit, repo, await find(octokit), {
        state: 'open',
        body: long,
        comment: 'c',
      }),
    ).rejects.toThrow(
      `GitHub issue #1: the body is 65,587 characters, over GitHub's limit of 65,536; nothing was written`,
    );
    await expect(
      createIssue(octokit, repo, { title: 'Huge', body: long, labels: [label], marker: mine }),
    ).rejects.toMatchObject({
      name: 'ActionError',
      message: expect.stringMatching(/^new GitHub issue 'Huge': the body is 65,587 characters/),
    });
    const issue = await find(octokit);
    await expect(
      updateIssue(
        octokit,
        repo,
        { ...issue, state: 'closed' },
        {
          state: 'open',
          comment: 'y'.repeat(BODY_LIMIT + 1),
        },
      ),
    ).rejects.toThrow(/^comment on GitHub issue #1: the body is 65,537 characters/);
    expect(writes()).toEqual([]);
  });

  test('a body at exactly the limit is sent and GitHub accepts it', async () => {
    const octokit = await start({});
    const full = `${mine}\n${'x'.repeat(BODY_LIMIT - mine.length - 1)}`;
    expect(full).toHaveLength(BODY_LIMIT);
    await createIssue(octokit, repo, { title: 't', body: full, labels: [label], marker: mine });
    expect(github.state.issues.get(1)!.body).toBe(full);
  });

  test('a body that lost its marker is a bug and is not sent: the next run would open a twin', async () => {
    const octokit = await start({ issues: [{ title: 'Slow', body, labels: [label] }] });
    await expect(
      updateIssue(octokit, repo, await find(octokit), { body: 'Deploys take 7m.' }),
    ).rejects.toThrow(`GitHub issue #1: the body lacks its marker ${mine}`);
    await expect(
      createIssue(octokit, repo, { title: 't', body: 'text', labels: [label], marker: mine }),
    ).rejects.toThrow(/lacks its marker/);
    expect(writes()).toEqual([]);
  });
});

describe('the marked comment on a pull request', () => {
  const marker = hiddenMarker('ecr-scan-pr-comment', 'web');

  test('is created once, edited in place when it changes, and not touched when it does not', async () => {
    const octokit = await start({
      pulls: [
        {
          title: 'Bump',
          comments: [
            ...Array.from({ length: 120 }, (_, n) => ({ body: `review ${n}` })),
            { body: `Quoting the bot:\n\`\`\`\n${marker}\n\`\`\``, user: 'dev' },
          ],
        },
      ],
    });
    const first = await upsertComment(octokit, repo, 1, marker, `${marker}\n1 finding`);
    expect(first).toMatchObject({ action: 'created', writes: 1 });
    expect(reads()).toHaveLength(2);
    expect(writes()).toEqual(['POST /repos/acme/web/issues/1/comments']);

    requests = [];
    expect(await upsertComment(octokit, repo, 1, marker, `${marker}\n1 finding`)).toMatchObject({
      action: 'unchanged',
      id: first.id,
      writes: 0,
    });
    expect(writes()).toEqual([]);

    const second = await upsertComment(octokit, repo, 1, marker, `${marker}\n2 findings`);
    expect(second).toMatchObject({ action: 'updated', id: first.id, writes: 1 });
    expect(writes()).toEqual([`PATCH /repos/acme/web/issues/comments/${first.id}`]);

    const comments = [...github.state.comments.values()];
    expect(comments).toHaveLength(122);
    expect(comments.filter((c) => hasMarker(c.body, marker)).map((c) => c.body)).toEqual([
      `${marker}\n2 findings`,
    ]);
    expect(comments.find((c) => c.user === 'dev')!.body).toContain('Quoting the bot');
  });

  test('another image’s comment is a different item', async () => {
    const octokit = await start({ pulls: [{ title: 'Bump' }] });
    const other = hiddenMarker('ecr-scan-pr-comment', 'web-api');
    await upsertComment(octokit, repo, 1, other, `${other}\napi`);
    expect(await findComment(octokit, repo, 1, marker)).toBeUndefined();
    await upsertComment(octokit, repo, 1, marker, `${marker}\nweb`);
    expect(github.state.comments.size).toBe(2);
  });

  test('an over-limit comment is refused by name with nothing read or written', async () => {
    const octokit = await start({ pulls: [{ title: 'Bump' }] });
    await expect(
      upsertComment(octokit, repo, 1, marker, `${marker}\n${'x'.repeat(BODY_LIMIT)}`),
    ).rejects.toThrow(
      /^comment on GitHub #1: the body is 65,\d{3} characters, over GitHub's limit/,
    );
    expect(requests).toEqual([]);
  });
});
