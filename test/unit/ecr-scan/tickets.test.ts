import { describe, expect, test } from 'vitest';
import type { Finding } from '../../../src/actions/ecr-scan/findings.ts';
import {
  applyTicketPlan,
  type ExistingTicket,
  findingKey,
  findingsHash,
  type ImageInfo,
  keyMarker,
  listTickets,
  planTickets,
  renderTicket,
  repositoryMarker,
  ticketGroups,
  ticketKey,
} from '../../../src/actions/ecr-scan/tickets.ts';
import { BODY_LIMIT } from '../../../src/lib/markdown.ts';
import { FakeGitHub } from './fake-github.ts';
import { finding } from './helpers.ts';

const image: ImageInfo = { repository: 'web', tag: 'v2', digest: `sha256:${'e'.repeat(64)}` };
const repo = { owner: 'acme', repo: 'web' };
const labels = ['security', 'ecr-scan'];

const openssl = finding({ id: 'CVE-2024-1234', packageName: 'openssl', severity: 'HIGH' });
const curl = finding({
  id: 'CVE-2023-38545',
  packageName: 'curl',
  severity: 'CRITICAL',
  score: 9.8,
});
const bash = finding({ id: 'CVE-2022-3715', packageName: 'bash', severity: 'MEDIUM', score: 5.5 });

function plan(
  findings: Finding[],
  existing: ExistingTicket[] = [],
  extra: Partial<Parameters<typeof planTickets>[0]> = {},
) {
  return planTickets({
    repository: 'web',
    image,
    groups: ticketGroups('web', findings, 'high'),
    presentKeys: new Set(findings.map((f) => findingKey('web', f))),
    existing,
    maxNew: 20,
    closeFixed: true,
    ...extra,
  });
}

function existing(f: Finding, overrides: Partial<ExistingTicket> = {}): ExistingTicket {
  const group = ticketGroups('web', [f], 'informational')[0]!;
  const rendered = renderTicket(group, image);
  return {
    number: 7,
    state: 'open',
    stateReason: null,
    labels,
    url: 'https://github.com/acme/web/issues/7',
    updatedAt: '2025-03-03T10:00:00Z',
    marker: keyMarker(group.key),
    key: group.key,
    repository: 'web',
    findingsHash: findingsHash(group),
    ...rendered,
    ...overrides,
  };
}

describe('ticket identity', () => {
  test('the key is a sha256 of repository, vulnerability and package, and nothing else', () => {
    const key = ticketKey('web', 'CVE-2024-1234', 'openssl');
    expect(key).toMatch(/^[a-f0-9]{64}$/);
    expect(findingKey('web', { ...openssl, packageVersion: '9.9', severity: 'LOW' })).toBe(key);
    expect(ticketKey('api', 'CVE-2024-1234', 'openssl')).not.toBe(key);
    expect(ticketKey('web', 'CVE-2024-1234', 'libssl3')).not.toBe(key);
  });

  test('the body starts with the key and repository as hidden marker lines', () => {
    const { title, body } = renderTicket(ticketGroups('web', [openssl], 'high')[0]!, image);
    expect(title).toBe('CVE-2024-1234 in openssl (HIGH) — web');
    expect(body.split('\n').slice(0, 2)).toEqual([
      `<!-- fargate-delivery:ecr-scan-ticket:${ticketKey('web', 'CVE-2024-1234', 'openssl')} -->`,
      '<!-- fargate-delivery:ecr-scan-repository:web -->',
    ]);
  });

  test('the body tables each path with its installed and fixed versions, and links the advisory', () => {
    const semver = finding({
      id: 'CVE-2022-25883',
      packageName: 'semver',
      packageVersion: '6.3.0',
      fixedInVersion: '7.5.2',
      filePath: 'app/node_modules/semver/package.json',
      layer: `sha256:${'a'.repeat(64)}`,
      exploitAvailable: false,
    });
    const nested = {
      ...semver,
      packageVersion: '5.7.1',
      filePath: 'app/node_modules/make-dir/node_modules/semver/package.json',
    };
    const { body } = renderTicket(ticketGroups('web', [semver, nested], 'high')[0]!, image);
    expect(body).toContain('| Path | Installed | Fixed in |');
    expect(body).toContain('| app/node_modules/semver/package.json | 6.3.0 | 7.5.2 |');
    expect(body).toContain(
      '| app/node_modules/make-dir/node_modules/semver/package.json | 5.7.1 | 7.5.2 |',
    );
    expect(body).not.toContain('sha256:aaaa');
    expect(body).toContain('| Known exploit | no |');
    expect(body).toContain('As found in `web:v2` (`sha256:eeeeeeeeeeee`)');
    expect(body).toContain(`[CVE-2022-25883](${semver.url})`);
    expect(body).toContain('Upgrade semver from 5.7.1 to 7.5.2 or later.');
  });

  test('the findings hash covers path, versions, severity and fix, and not the image', () => {
    const group = (f: Finding) => ticketGroups('web', [f], 'informational')[0]!;
    const hash = findingsHash(group(openssl));
    expect(hash).toMatch(/^[a-f0-9]{64}$/);
    expect(renderTicket(group(openssl), image).body).toContain(
      `<!-- fargate-delivery:ecr-scan-findings:${hash} -->`,
    );
    expect(findingsHash(group({ ...openssl, description: 'reworded' }))).toBe(hash);
    for (const change of [
      { filePath: 'usr/lib/openssl' },
      { packageVersion: '3.0.12' },
      { fixedInVersion: '3.0.14' },
      { severity: 'CRITICAL' as const },
      { exploitAvailable: true },
    ]) {
      expect(findingsHash(group({ ...openssl, ...change })), JSON.stringify(change)).not.toBe(hash);
    }
  });

  test("a body stays under GitHub's 65,536 characters with thousands of affected versions and a huge description", () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({
      ...openssl,
      packageVersion: `1.0.${i}`,
      description: 'x'.repeat(100_000),
    }));
    const { body } = renderTicket(ticketGroups('web', many, 'high')[0]!, image);
    expect(body.length).toBeLessThan(BODY_LIMIT);
    expect(body).toMatch(/_… [\d,]+ more not shown to stay within GitHub's size limit/);
  });

  test('rendering is deterministic, so identical findings render identical text', () => {
    const group = ticketGroups('web', [openssl], 'high')[0]!;
    expect(renderTicket(group, image)).toEqual(renderTicket(group, image));
  });
});

describe('planning tickets', () => {
  test('findings at or above ticket-severity get one ticket each; lower ones get none', () => {
    const p = plan([openssl, curl, bash]);
    expect(p.actions.map((a) => [a.kind, a.kind === 'create' && a.title])).toEqual([
      ['create', 'CVE-2023-38545 in curl (CRITICAL) — web'],
      ['create', 'CVE-2024-1234 in openssl (HIGH) — web'],
    ]);
  });

  test('an unchanged open ticket is left alone: zero writes', () => {
    const p = plan([openssl], [existing(openssl)]);
    expect(p.actions).toEqual([]);
    expect(p.unchanged).toBe(1);
  });

  test('the same findings in a new image leave the ticket as it is: zero writes', () => {
    const p = planTickets({
      repository: 'web',
      image: { repository: 'web', tag: 'v3', digest: `sha256:${'9'.repeat(64)}` },
      groups: ticketGroups('web', [openssl, curl], 'high'),
      presentKeys: new Set([findingKey('web', openssl), findingKey('web', curl)]),
      existing: [existing(openssl), existing(curl, { number: 8 })],
      maxNew: 20,
      closeFixed: true,
    });
    expect(p.actions).toEqual([]);
    expect(p.unchanged).toBe(2);
  });

  test('a ticket written before findings hashes existed is rewritten once', () => {
    const old = existing(openssl, { findingsHash: undefined });
    expect(plan([openssl], [old]).actions).toMatchObject([{ kind: 'update' }]);
  });

  test('an open ticket whose content changed is updated in place', () => {
    const p = plan([{ ...openssl, fixedInVersion: '3.0.14' }], [existing(openssl)]);
    expect(p.actions).toMatchObject([{ kind: 'update', ticket: { number: 7 } }]);
  });

  test('a closed ticket whose finding recurs is reopened with a comment, its body kept when the findings are the same', () => {
    const p = plan([openssl], [existing(openssl, { state: 'closed', stateReason: 'completed' })]);
    expect(p.actions).toMatchObject([
      { kind: 'reopen', ticket: { number: 7 }, comment: expect.stringContaining('reported again') },
    ]);
    expect(p.actions[0]).not.toHaveProperty('body');
    const changed = plan(
      [{ ...openssl, packageVersion: '3.0.12' }],
      [existing(openssl, { state: 'closed', stateReason: 'completed' })],
    );
    expect(changed.actions[0]).toHaveProperty('body', expect.stringContaining('3.0.12'));
  });

  test('a ticket a person closed as not planned is not reopened', () => {
    const p = plan([openssl], [existing(openssl, { state: 'closed', stateReason: 'not_planned' })]);
    expect(p.actions).toEqual([]);
    expect(p.dismissed.map((d) => d.number)).toEqual([7]);
  });

  test('an open ticket whose finding is gone is closed with a comment, only with close-fixed', () => {
    const gone = existing(curl, { number: 9 });
    expect(plan([openssl], [existing(openssl), gone]).actions).toMatchObject([
      {
        kind: 'close',
        ticket: { number: 9 },
        comment: expect.stringContaining('no longer reports this finding'),
      },
    ]);
    expect(plan([openssl], [existing(openssl), gone], { closeFixed: false }).actions).toEqual([]);
  });

  test('tickets of another repository, and findings still present below the level or ignored, are not closed', () => {
    const otherRepo = existing(curl, { number: 11, repository: 'api' });
    const downgraded = existing(bash, { number: 12 });
    const p = plan([openssl, bash], [existing(openssl), otherRepo, downgraded]);
    expect(p.actions).toEqual([]);
  });

  test('at most max-new-tickets are created; the rest are deferred', () => {
    const findings = Array.from({ length: 5 }, (_, i) => finding({ id: `CVE-2024-000${i}` }));
    const p = plan(findings, [], { maxNew: 2 });
    expect(p.actions.filter((a) => a.kind === 'create')).toHaveLength(2);
    expect(p.deferred.map((g) => g.id)).toEqual([
      'CVE-2024-0002',
      'CVE-2024-0003',
      'CVE-2024-0004',
    ]);
  });

  test('of duplicate tickets for one key, the open one is used and the others left alone', () => {
    const closedDup = existing(openssl, { number: 3, state: 'closed', body: 'old' });
    const openOne = existing(openssl, { number: 8 });
    expect(plan([openssl], [closedDup, openOne]).actions).toEqual([]);
  });
});

describe('applying the plan to GitHub', () => {
  test('first run opens, a second identical run writes nothing, then fixed closes and recurring reopens', async () => {
    const gh = new FakeGitHub();
    const run = async (findings: Finding[]) => {
      const tickets = await listTickets(gh.octokit, repo, labels);
      const p = plan(findings, tickets);
      return applyTicketPlan(gh.octokit, repo, p, labels);
    };

    const first = await run([openssl, curl]);
    expect(first.opened.map((t) => t.number)).toEqual([1, 2]);
    expect(gh.issues.every((i) => i.labels.join() === 'security,ecr-scan')).toBe(true);

    gh.writes = [];
    const second = await run([openssl, curl]);
    expect(gh.writes).toEqual([]);
    expect(second.unchanged).toBe(2);

    const fixed = await run([openssl]);
    expect(fixed.closed.map((t) => t.number)).toEqual([1]);
    expect(gh.issues.find((i) => i.number === 1)).toMatchObject({
      state: 'closed',
      state_reason: 'completed',
    });
    expect(gh.comments.at(-1)!.body).toContain('no longer reports this finding');

    const back = await run([openssl, curl]);
    expect(back.reopened.map((t) => t.number)).toEqual([1]);
    expect(gh.issues.find((i) => i.number === 1)!.state).toBe('open');
    expect(gh.issues).toHaveLength(2);
  });

  test('listing reads the key and repository each ticket was written with', async () => {
    const gh = new FakeGitHub();
    const group = ticketGroups('web', [openssl], 'high')[0]!;
    const rendered = renderTicket(group, image);
    gh.addIssue({ ...rendered, labels });
    const apiKey = ticketKey('api', 'CVE-2024-1234', 'openssl');
    gh.addIssue({
      title: 'api ticket',
      body: `${keyMarker(apiKey)}\n${repositoryMarker('api')}\nbody`,
      labels,
    });
    gh.addIssue({ title: 'quoted', body: `Look:\n\`\`\`\n${rendered.body}\n\`\`\``, labels });
    const tickets = await listTickets(gh.octokit, repo, labels);
    expect(tickets.map((t) => [t.number, t.key, t.repository])).toEqual([
      [1, group.key, 'web'],
      [2, apiKey, 'api'],
    ]);
  });

  test('issues without our marker and pull requests are not taken for tickets', async () => {
    const gh = new FakeGitHub();
    gh.addIssue({ title: 'manual report', body: 'openssl is old', labels });
    gh.addIssue({
      title: 'a PR',
      body: keyMarker('a'.repeat(64)),
      labels,
      pull_request: {},
    });
    expect(await listTickets(gh.octokit, repo, labels)).toEqual([]);
  });
});
