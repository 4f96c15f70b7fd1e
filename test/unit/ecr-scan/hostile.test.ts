// Findings whose text a pull request controls (package names, versions, paths inside the image it
// builds), rendered into every body ecr-scan writes and every line it logs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeImageScanFindingsCommand, ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { Finding } from '../../../src/actions/ecr-scan/findings.ts';
import { failureMessage, judge } from '../../../src/actions/ecr-scan/gate.ts';
import { getInputs } from '../../../src/actions/ecr-scan/inputs.ts';
import { renderPrComment } from '../../../src/actions/ecr-scan/pr-comment.ts';
import { type RunContext, runEcrScan } from '../../../src/actions/ecr-scan/run-scan.ts';
import { renderSummary } from '../../../src/actions/ecr-scan/summary.ts';
import { renderTicket, ticketGroups } from '../../../src/actions/ecr-scan/tickets.ts';
import { runnerContext } from '../../../src/lib/context.ts';
import type { Octokit } from '../../../src/lib/github.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';
import { actionsLog } from '../../../src/lib/log.ts';
import { BODY_LIMIT } from '../../../src/lib/markdown.ts';
import { type RenderedBody, renderGitHub } from '../../harness/github-markdown.ts';
import { runnerCommands } from '../../harness/runner-commands.ts';
import { FakeGitHub } from './fake-github.ts';
import { finding } from './helpers.ts';

const INJECTIONS = [
  'pkg\n::error::forged annotation',
  'pkg\r\n::add-mask::hunter2',
  'pkg\n::set-output name=status::PASSED',
  'pkg ##[warning]legacy',
  'pkg\n## Forged heading\n| x | y |',
  '@org/team and @octocat',
  '<img src="https://tracker.example/pixel.gif">',
  '[click](https://evil.example) ![p](https://evil.example/p.gif)',
  'pkg `` ` ``` backticks',
  'pipe | pipe',
  '<!-- fargate-delivery:ecr-scan-ticket:0000 -->',
];

function hostileFindings(): Finding[] {
  return INJECTIONS.map((text, i) =>
    finding({
      id: `CVE-2024-${1000 + i}${i % 2 ? `\n::error::id ${i}` : ''}`,
      severity: i % 3 ? 'HIGH' : 'CRITICAL',
      packageName: text,
      packageVersion: `1.${i}\n@org/team`,
      fixedInVersion: text,
      filePath: text,
      description: `${text}\n\nSee <img src=x> and @org/admins.`,
    }),
  );
}

const image = { repository: 'web', tag: 'pr-12', digest: `sha256:${'a'.repeat(64)}` };

function expectInert(rendered: RenderedBody) {
  expect(rendered.images).toEqual([]);
  expect(rendered.mentions).toEqual([]);
  expect(rendered.references).toEqual([]);
  for (const href of rendered.links)
    expect(href).toMatch(/^https:\/\/(nvd\.nist\.gov|github\.com)\//);
  for (const heading of rendered.headings) {
    expect(heading.replace(/<code>[\s\S]*?<\/code>/g, '')).not.toMatch(/Forged/);
  }
  expect(rendered.html).not.toMatch(/<!-- fargate-delivery:ecr-scan-ticket:0000/);
}

describe('hostile finding text in the bodies ecr-scan writes', () => {
  test('the PR comment: one row per finding, nothing live', () => {
    const findings = hostileFindings();
    const body = renderPrComment({
      image,
      findings,
      counts: { CRITICAL: 4, HIGH: 7, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
      ignored: 0,
      level: 'high',
    });
    const rendered = renderGitHub(body);
    expectInert(rendered);
    // The counts table (2 rows) and the findings table (a header and one row per finding).
    expect(rendered.tableRows).toBe(2 + 1 + findings.length);
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT);
  });

  test('the job summary: top findings, ignored and tickets, nothing live', () => {
    const findings = hostileFindings();
    const summary = renderSummary({
      image,
      scan: {
        status: 'COMPLETE',
        scanner: 'enhanced',
        findings,
        pages: 1,
        duplicates: 0,
        settle: { settleMs: 0, waitedMs: 0, settled: true, reads: 1, changes: 0 },
      } as unknown as Parameters<typeof renderSummary>[0]['scan'],
      counts: { CRITICAL: 4, HIGH: 7, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
      kept: findings,
      ignored: [
        {
          finding: findings[0]!,
          entry: {
            id: 'CVE-2024-1000',
            reason: '@org/team said <img src=x>',
            expires: '2030-01-01',
          },
        },
      ],
      expired: [],
      unmatched: [],
      suppressed: [],
      gate: judge({
        rule: { failOn: 'high', fixable: false, exploitable: false, scope: 'all' },
        repository: 'web',
        findings,
      }),
      githubProblems: ['tickets: GitHub refused it: @org/team\n## heading'],
    });
    const rendered = renderGitHub(summary);
    expectInert(rendered);
    expect(rendered.tableRows).toBe(2 + 1 + findings.length + 2);
    expect(summary.length).toBeLessThanOrEqual(BODY_LIMIT);
  });

  test('a ticket: its title is one line, its body nothing live', () => {
    for (const group of ticketGroups('web', hostileFindings(), 'high')) {
      const { title, body } = renderTicket(group, image);
      expect(title).not.toMatch(/[\r\n]/);
      expect(title.length).toBeLessThanOrEqual(256);
      const rendered = renderGitHub(body);
      expectInert(rendered);
      expect(rendered.html).toContain('<h3>Description</h3>');
    }
  });

  test('the gate message names the first ids on one line', () => {
    const gate = judge({
      rule: { failOn: 'high', fixable: false, exploitable: false, scope: 'all' },
      repository: 'web',
      findings: hostileFindings(),
    });
    const message = failureMessage(gate, image);
    expect(message).not.toMatch(/[\r\n]/);
    expect(message).toMatch(
      /^11 findings at or above HIGH in web:pr-12 \(fail-on: high\): CVE-2024-1000, /,
    );
  });
});

describe('2,000 findings and a 70,000-character package name', () => {
  const many = [
    finding({
      id: 'CVE-2024-0000',
      severity: 'CRITICAL',
      packageName: `huge-${'x'.repeat(70_000)}`,
    }),
    ...Array.from({ length: 2000 }, (_, i) =>
      finding({
        id: `CVE-2024-${10_000 + i}`,
        packageName: `pkg-${i}`,
        filePath: `/usr/lib/pkg-${i}`,
      }),
    ),
  ];

  test('the PR comment lists what fits, the long name shortened, and counts the rest', () => {
    const body = renderPrComment({
      image,
      findings: many,
      counts: { CRITICAL: 1, HIGH: 2000, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
      ignored: 0,
      level: 'high',
    });
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT);
    const rendered = renderGitHub(body);
    const listed = rendered.tableRows - 3;
    // Rows name each package's path too; most of the 65,536 characters still list findings.
    expect(listed).toBeGreaterThan(400);
    expect(body).toContain('huge-xxx');
    expect(body).toContain('`pkg-0`');
    const omitted = Number(/_… ([\d,]+) more not shown/.exec(body)?.[1]?.replace(/,/g, ''));
    expect(listed + omitted).toBe(many.length);
  });

  test('a ticket for a package at 2,000 paths lists what fits and says how many are not', () => {
    const paths = Array.from({ length: 2000 }, (_, i) =>
      finding({ packageVersion: `1.0.${i}`, filePath: `/opt/${'deep/'.repeat(20)}${i}` }),
    );
    const [group] = ticketGroups('web', [many[0]!, ...paths], 'high').filter(
      (g) => g.findings.length > 1,
    );
    const { body } = renderTicket(group!, image);
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(body).toMatch(/_… [\d,]+ more not shown/);
    expect(body).toContain('### Fix');
  });
});

const ecrMock = mockClient(ECRClient);
const root = mkdtempSync(path.join(tmpdir(), 'ecr-scan-hostile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function basicResponse(findings: Finding[]) {
  return {
    registryId: '123456789012',
    repositoryName: 'web',
    imageId: { imageDigest: image.digest, imageTag: 'v1.4.0' },
    imageScanStatus: { status: 'COMPLETE' as const },
    imageScanFindings: {
      imageScanCompletedAt: new Date('2025-06-01T00:00:00Z'),
      findings: findings.map((f) => ({
        name: f.id,
        severity: f.severity,
        description: f.description,
        uri: f.url,
        attributes: [
          { key: 'package_name', value: f.packageName },
          { key: 'package_version', value: f.packageVersion },
        ],
      })),
    },
  };
}

describe('a run with hostile findings', () => {
  let stdout: string;
  beforeEach(() => {
    stdout = '';
    ecrMock.reset();
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  function context(octokit: Octokit): RunContext {
    const workspace = mkdtempSync(path.join(root, 'ws-'));
    writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM debian:12\n');
    return {
      ecr: new ECRClient({ region: 'us-east-1' }),
      octokit: () => octokit,
      repo: () => ({ owner: 'acme', repo: 'web' }),
      event: { name: 'pull_request', payload: { pull_request: { number: 12 } } },
      runner: runnerContext({
        GITHUB_WORKSPACE: workspace,
        RUNNER_TEMP: mkdtempSync(path.join(root, 't-')),
      }),
      now: new Date('2025-06-15T00:00:00Z'),
      log: actionsLog,
    };
  }

  const inputs = () =>
    getInputs(
      mapInputs({
        repository: 'web',
        'image-tag': 'v1.4.0',
        'github-token': 't',
        tickets: 'true',
        'ticket-severity': 'high',
        // The findings are final when the mock says so: settling would only wait.
        settle: '0',
      }),
      root,
      'pull_request',
    );

  test('logs "Opened #N: <title>" for each ticket and writes no workflow command', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(basicResponse(hostileFindings()));
    const gh = new FakeGitHub();
    const result = await runEcrScan(inputs(), context(gh.octokit));
    expect(result.tickets!.opened).toHaveLength(INJECTIONS.length);
    expect(stdout).toMatch(/Opened #1: CVE-2024-1000 in pkg/);
    expect(runnerCommands(stdout)).toEqual([]);
  });

  test('GitHub refusing a ticket and the comment: warnings, and the run still reports its result', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolves(basicResponse(hostileFindings().slice(0, 3)));
    const gh = new FakeGitHub();
    const octokit = gh.octokit;
    const refuse = (status: number) => async () => {
      throw Object.assign(new Error('Validation Failed: body is too long'), {
        status,
        request: { method: 'POST', url: 'https://api.github.com/repos/acme/web/issues' },
      });
    };
    let creates = 0;
    const create = octokit.rest.issues.create;
    Object.assign(octokit.rest.issues, {
      create: (async (params: Parameters<typeof create>[0]) => {
        creates += 1;
        if (creates === 1) return refuse(422)();
        return create(params);
      }) as typeof create,
      createComment: refuse(403),
    });
    const result = await runEcrScan(inputs(), context(octokit));
    expect(result.tickets!.opened).toHaveLength(2);
    expect(result.comment).toBeUndefined();
    expect(result.githubProblems).toEqual([
      expect.stringMatching(/^tickets: GitHub refused opening the ticket '.*': .*422/),
      expect.stringMatching(/^pr-comment: writing the comment on #12: GitHub refused it: .*403/),
    ]);
    const warnings = runnerCommands(stdout).filter((c) => c.command === 'warning');
    expect(warnings).toHaveLength(2);
    expect(result.gate.failing.length).toBeGreaterThan(0);
  });
});
