import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DescribeImageScanFindingsCommand,
  ECRClient,
  ImageNotFoundException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { failureMessage } from '../../../src/actions/ecr-scan/gate.ts';
import { getInputs } from '../../../src/actions/ecr-scan/inputs.ts';
import {
  baseTagCandidates,
  type RunContext,
  runEcrScan,
} from '../../../src/actions/ecr-scan/run-scan.ts';
import { renderSummary } from '../../../src/actions/ecr-scan/summary.ts';
import { runnerContext } from '../../../src/lib/context.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';
import { memoryLog } from '../../../src/lib/log.ts';
import { FakeGitHub } from './fake-github.ts';
import { response, sandboxResponse, sarifValidator } from './helpers.ts';

const ecrMock = mockClient(ECRClient);
const root = mkdtempSync(path.join(tmpdir(), 'ecr-scan-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function setup(
  values: Record<string, string>,
  event: RunContext['event'] = { name: 'push', payload: {} },
) {
  const workspace = mkdtempSync(path.join(root, 'ws-'));
  const runnerTemp = mkdtempSync(path.join(root, 'tmp-'));
  writeFileSync(
    path.join(workspace, 'Dockerfile'),
    'FROM debian:12 AS build\nRUN make\n\nFROM debian:12-slim\nCOPY --from=build /out /app\n',
  );
  const gh = new FakeGitHub();
  const warnings: string[] = [];
  const log = memoryLog();
  let clockMs = Date.UTC(2025, 5, 15);
  const ctx: RunContext = {
    ecr: new ECRClient({ region: 'us-east-1' }),
    octokit: () => gh.octokit,
    repo: () => ({ owner: 'acme', repo: 'web' }),
    event,
    runner: runnerContext({ GITHUB_WORKSPACE: workspace, RUNNER_TEMP: runnerTemp }),
    now: new Date('2025-06-15T00:00:00Z'),
    log: { ...log, warning: (m) => warnings.push(m) },
    clock: {
      now: () => clockMs,
      sleep: async (ms) => {
        clockMs += ms;
      },
    },
  };
  const inputs = () =>
    getInputs(
      mapInputs({ repository: 'web', 'image-tag': 'v1.4.0', 'github-token': 't', ...values }),
      workspace,
      event.name,
    );
  return { ctx, gh, warnings, inputs, workspace, log };
}

beforeEach(() => {
  ecrMock.reset();
  ecrMock
    .on(DescribeImageScanFindingsCommand, { imageId: { imageTag: 'v1.4.0' } })
    .resolves(response('basic-page-1'))
    .on(DescribeImageScanFindingsCommand, {
      imageId: { imageTag: 'v1.4.0' },
      nextToken: 'eyJwYWdlIjoyfQ==',
    })
    .resolves(response('basic-page-2'));
});

describe('one run of the action', () => {
  test('writes the findings file and a valid SARIF file pointing at the last FROM line', async () => {
    const { ctx, inputs, workspace } = setup({ 'sarif-file': 'reports/ecr.sarif' });
    const result = await runEcrScan(inputs(), ctx);
    const written = JSON.parse(readFileSync(result.findingsFile, 'utf8'));
    expect(written).toMatchObject({ repository: 'web', status: 'COMPLETE', total: 7, ignored: 0 });
    expect(written.findings).toHaveLength(7);
    expect(result.sarifFile).toBe(path.join(workspace, 'reports/ecr.sarif'));
    const sarif = JSON.parse(readFileSync(result.sarifFile!, 'utf8'));
    expect(sarifValidator()(sarif)).toBe(true);
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.region.startLine).toBe(4);
  });

  test('ignored findings leave the verdict; expired and unmatched entries are warned about', async () => {
    const { ctx, inputs, workspace, warnings } = setup({ 'fail-on': 'high' });
    mkdirSync(path.join(workspace, '.github'));
    writeFileSync(
      path.join(workspace, '.github/ecr-scan-ignore.yml'),
      [
        '- {id: CVE-2023-38545, package: curl, reason: curl only runs at build time, expires: 2030-01-01}',
        '- {id: CVE-2023-5678, reason: was accepted last year, expires: 2025-01-01}',
        '- {id: CVE-1999-0001, reason: long gone, expires: 2030-01-01}',
      ].join('\n'),
    );
    const result = await runEcrScan(inputs(), ctx);
    expect(result.ignore.ignored.map((i) => i.finding.id)).toEqual(['CVE-2023-38545']);
    expect(result.gate.failing.map((f) => f.id)).toEqual(['CVE-2023-44487', 'CVE-2023-5678']);
    expect(result.counts.CRITICAL).toBe(1);
    expect(warnings).toEqual([
      '.github/ecr-scan-ignore.yml: ignore entry CVE-2023-5678 expired on 2025-01-01 and no longer applies',
      '.github/ecr-scan-ignore.yml: ignore entry CVE-1999-0001 matches no finding of this image: remove it',
    ]);
    expect(failureMessage(result.gate, result.image)).toBe(
      '2 findings at or above HIGH in web:v1.4.0 (fail-on: high): CVE-2023-44487, CVE-2023-5678. Fix them or add them to the ignore file with a reason and an expiry date.',
    );
  });

  test('opens tickets, and a second run with the same findings makes zero GitHub writes', async () => {
    const { ctx, inputs, gh } = setup({ tickets: 'true' });
    const first = await runEcrScan(inputs(), ctx);
    expect(first.tickets!.opened.map((t) => t.title)).toEqual([
      'CVE-2023-38545 in curl (CRITICAL) — web',
      'CVE-2023-44487 in nghttp2 (HIGH) — web',
      'CVE-2023-5678 in openssl (HIGH) — web',
    ]);
    gh.writes = [];
    const second = await runEcrScan(inputs(), ctx);
    expect(second.githubWrites).toBe(0);
    expect(gh.writes).toEqual([]);
  });

  test('on a pull request, compares with the image tagged with the base commit and comments once', async () => {
    const baseSha = '1234567890abcdef1234567890abcdef12345678';
    ecrMock
      .on(DescribeImageScanFindingsCommand, { imageId: { imageTag: baseSha } })
      .rejects(new ImageNotFoundException({ message: 'no such tag', $metadata: {} }))
      .on(DescribeImageScanFindingsCommand, { imageId: { imageTag: '1234567' } })
      .resolves({ ...response('basic-page-2'), nextToken: undefined });
    const event = {
      name: 'pull_request',
      payload: { pull_request: { number: 12, base: { sha: baseSha, ref: 'main' } } },
    };
    const { ctx, inputs, gh } = setup({}, event);
    const result = await runEcrScan(inputs(), ctx);
    expect(result.comment).toMatchObject({ action: 'created' });
    const body = gh.comments[0]!.body;
    expect(body).toContain('**4 new findings** compared with the base image `web:1234567`');
    expect(body).not.toContain('CVE-2023-44487');
    expect((await runEcrScan(inputs(), ctx)).comment).toMatchObject({
      action: 'unchanged',
      writes: 0,
    });
  });

  test('pr-comment true outside a pull request warns instead of failing', async () => {
    const { ctx, inputs, warnings, gh } = setup({ 'pr-comment': 'true' });
    await runEcrScan(inputs(), ctx);
    expect(warnings).toContain(
      "pr-comment: this run has no pull request (event 'push'): no comment written",
    );
    expect(gh.comments).toEqual([]);
  });

  test('the job summary shows counts, top findings, what was ignored and the tickets touched', async () => {
    const { ctx, inputs, workspace } = setup({ tickets: 'true', 'fail-on': 'none' });
    mkdirSync(path.join(workspace, '.github'));
    writeFileSync(
      path.join(workspace, '.github/ecr-scan-ignore.yml'),
      '- {id: CVE-2022-3715, reason: bash is not reachable, expires: 2030-01-01}\n',
    );
    const result = await runEcrScan(inputs(), ctx);
    const summary = renderSummary({
      image: result.image,
      scan: result.scan,
      counts: result.counts,
      kept: result.ignore.kept,
      ignored: result.ignore.ignored,
      suppressed: result.suppressed,
      expired: result.ignore.expired,
      unmatched: result.ignore.unmatched,
      gate: result.gate,
      tickets: result.tickets!,
    });
    expect(summary).toContain('## ECR scan of `web:v1.4.0`');
    expect(summary).toContain('| 1 | 2 | 1 | 1 | 1 | 1 | 7 | 1 | 0 |');
    expect(summary).toContain('findings settled 1m after the scan finished (unchanged for 1m)');
    expect(summary).toContain(
      '| CRITICAL | [CVE-2023-38545](https://security-tracker.debian.org/tracker/CVE-2023-38545) | `curl` |',
    );
    expect(summary).toContain(
      '| CVE-2022-3715 | `bash` | MEDIUM | bash is not reachable | 2030-01-01 |',
    );
    expect(summary).toContain('**Opened (3)**');
    expect(summary).toContain('The step does not fail on findings');
  });
});

describe('an enhanced scan of an Amazon Linux 2023 image', () => {
  const digestA = `sha256:${'a'.repeat(64)}`;
  const digestB = `sha256:${'b'.repeat(64)}`;
  function onImage(digest: string) {
    ecrMock.reset();
    ecrMock
      .on(DescribeImageScanFindingsCommand, { imageId: { imageTag: 'v1.4.0' } })
      .resolves(sandboxResponse('enhanced-amazonlinux2023.json', { imageDigest: digest }));
  }

  test('suppressed findings never fail the gate, are counted apart and get no ticket', async () => {
    onImage(digestA);
    const { ctx, inputs, log } = setup({ 'fail-on': 'high', tickets: 'true' });
    const result = await runEcrScan(inputs(), ctx);
    expect(result.suppressed.map((f) => [f.id, f.status])).toEqual([
      ['CVE-2023-2953', 'SUPPRESSED'],
    ]);
    expect(result.gate.failing.map((f) => f.id)).not.toContain('CVE-2023-2953');
    expect(result.counts.HIGH).toBe(3);
    expect(result.tickets!.opened.map((t) => t.title)).not.toContain(
      'CVE-2023-2953 in openldap (HIGH) — web',
    );
    expect(log.lines).toContain(
      '1 finding out of the gate in Amazon Inspector: 1 SUPPRESSED, 0 CLOSED',
    );
    const written = JSON.parse(readFileSync(result.findingsFile, 'utf8'));
    expect(written).toMatchObject({ total: 10, suppressed: 1 });
  });

  test('versions read as the package manager writes them, with epoch and release', async () => {
    onImage(digestA);
    const { ctx, inputs } = setup({});
    const result = await runEcrScan(inputs(), ctx);
    const versions = (pkg: string) =>
      result.ignore.kept
        .filter((f) => f.packageName === pkg)
        .map((f) => [f.packageVersion, f.fixedInVersion]);
    expect(versions('glibc')).toEqual([['2.34-52.amzn2023.0.6', '2.34-52.amzn2023.0.7']]);
    expect(versions('openssl-libs')).toEqual([
      ['1:3.0.8-1.amzn2023.0.9', '1:3.0.8-1.amzn2023.0.11'],
    ]);
    expect(versions('urllib3')).toEqual([
      ['1.25.10', '1.26.18'],
      ['2.0.6', '2.0.7'],
    ]);
  });

  test.each([
    [{}, ['CVE-2024-45490', 'CVE-2023-4911']],
    [{ 'fail-on-fixable': 'true' }, ['CVE-2024-45490', 'CVE-2023-4911']],
    [{ 'fail-on-exploitable': 'true' }, ['CVE-2023-4911']],
    [{ 'fail-on': 'medium', 'fail-on-exploitable': 'true' }, ['CVE-2023-4911']],
    [
      { 'fail-on': 'low', 'fail-on-fixable': 'true' },
      ['CVE-2024-45490', 'CVE-2023-4911', 'CVE-2024-2398', 'CVE-2024-0727', 'CVE-2023-45803'],
    ],
  ])('gating with %o fails on %o', async (values, failing) => {
    onImage(digestA);
    const { ctx, inputs } = setup({ 'fail-on': 'high', ...values });
    const result = await runEcrScan(inputs(), ctx);
    expect([...new Set(result.gate.failing.map((f) => f.id))]).toEqual(failing);
  });

  test('the same findings in an image with a new digest rewrite no ticket', async () => {
    onImage(digestA);
    const { ctx, inputs, gh } = setup({ tickets: 'true', 'ticket-severity': 'medium' });
    const first = await runEcrScan(inputs(), ctx);
    expect(first.tickets!.opened).toHaveLength(8);
    expect(gh.issues[0]!.body).toContain('(`sha256:aaaaaaaaaaaa`)');
    onImage(digestB);
    gh.writes = [];
    const second = await runEcrScan(inputs(), ctx);
    expect(second.image.digest).toBe(digestB);
    expect(second.githubWrites).toBe(0);
    expect(gh.writes).toEqual([]);
    expect(second.tickets!.unchanged).toBe(8);
  });

  test('a package at two paths is one ticket with a row per path, and two SARIF results', async () => {
    onImage(digestA);
    const { ctx, inputs, gh } = setup({
      tickets: 'true',
      'ticket-severity': 'medium',
      'sarif-file': 'ecr.sarif',
    });
    const result = await runEcrScan(inputs(), ctx);
    const urllib3 = gh.issues.find((i) => i.title.startsWith('CVE-2023-45803 in urllib3'))!;
    expect(urllib3.body).toContain(
      '| app/.venv/lib/python3.11/site-packages/urllib3-2.0.6.dist-info/METADATA | 2.0.6 | 2.0.7 |',
    );
    expect(urllib3.body).toContain(
      '| usr/lib/python3.9/site-packages/urllib3-1.25.10-py3.9.egg-info/PKG-INFO | 1.25.10 | 1.26.18 |',
    );
    const sarif = JSON.parse(readFileSync(result.sarifFile!, 'utf8'));
    const results = sarif.runs[0].results as { partialFingerprints: Record<string, string> }[];
    const prints = results.map((r) => r.partialFingerprints['ecrScanFinding/v1']);
    expect(new Set(prints).size).toBe(prints.length);
    expect(results).toHaveLength(11);
  });
});

describe('gating on what a pull request adds', () => {
  const baseSha = '1234567890abcdef1234567890abcdef12345678';
  const event = {
    name: 'pull_request',
    payload: { pull_request: { number: 12, base: { sha: baseSha, ref: 'main' } } },
  };

  test('fail-on-scope new fails only on findings the base image lacks, the ones the PR comment lists', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand, { imageId: { imageTag: baseSha } })
      .resolves({ ...response('basic-page-1'), nextToken: undefined });
    const { ctx, inputs, gh } = setup({ 'fail-on': 'high', 'fail-on-scope': 'new' }, event);
    const result = await runEcrScan(inputs(), ctx);
    expect(result.base!.image.tag).toBe(baseSha);
    // basic-page-1 has CVE-2023-38545 and CVE-2023-5678; page 2 adds CVE-2023-44487 (HIGH).
    expect(result.gate.failing.map((f) => f.id)).toEqual(['CVE-2023-44487']);
    expect(gh.comments[0]!.body).toContain('CVE-2023-44487');
    expect(gh.comments[0]!.body).not.toContain('CVE-2023-5678');
  });

  test('outside a pull request, fail-on-scope new has no base and counts every finding', async () => {
    const { ctx, inputs } = setup({ 'fail-on': 'high', 'fail-on-scope': 'new' });
    const result = await runEcrScan(inputs(), ctx);
    expect(result.gate.noBase).toBe(true);
    expect(result.gate.failing.map((f) => f.id)).toEqual([
      'CVE-2023-38545',
      'CVE-2023-44487',
      'CVE-2023-5678',
    ]);
  });
});

describe('settled results', () => {
  test('findings that arrive after the scan reports done fail the gate; the summary says how long it waited', async () => {
    const early = sandboxResponse('enhanced-amazonlinux2023.json');
    early.imageScanFindings!.enhancedFindings = early.imageScanFindings!.enhancedFindings!.slice(5);
    ecrMock.reset();
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolvesOnce(early)
      .resolvesOnce(early)
      .resolves(sandboxResponse('enhanced-amazonlinux2023.json'));
    const { ctx, inputs, log } = setup({ 'fail-on': 'critical' });
    const result = await runEcrScan(inputs(), ctx);
    expect(result.gate.failing.map((f) => f.id)).toEqual(['CVE-2024-45490']);
    expect(result.scan.settle).toMatchObject({ settled: true, changes: 1, waitedMs: 80_000 });
    expect(log.lines).toContain(
      'Findings settled: unchanged for 1m, 1m20s after the scan finished (8 reads, 1 change)',
    );
  });

  test('findings still changing at wait-timeout are judged, with a warning that names settle', async () => {
    let n = 0;
    ecrMock.reset();
    ecrMock.on(DescribeImageScanFindingsCommand).callsFake(() => {
      const page = sandboxResponse('enhanced-amazonlinux2023.json');
      n += 1;
      page.imageScanFindings!.enhancedFindings = page.imageScanFindings!.enhancedFindings!.slice(
        0,
        1 + (n % 7),
      );
      return page;
    });
    const { ctx, inputs, warnings } = setup({ 'wait-timeout': '2m' });
    const result = await runEcrScan(inputs(), ctx);
    expect(result.scan.settle.settled).toBe(false);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^settle: wait-timeout \(2m\) ran out while the findings were still changing \(\d+ changes in 2m\): web:v1\.4\.0 is judged on the last read/,
      ),
    ]);
  });
});

describe('the base image tags tried on a pull request', () => {
  test.each([
    [
      { base: { sha: 'abcdef0123456789abcdef0123456789abcdef01', ref: 'main' } },
      undefined,
      ['abcdef0123456789abcdef0123456789abcdef01', 'abcdef0', 'main'],
    ],
    [
      { base: { sha: 'abcdef0123456789abcdef0123456789abcdef01', ref: 'release/2.x' } },
      'abcdef0',
      ['abcdef0123456789abcdef0123456789abcdef01'],
    ],
    [undefined, undefined, []],
  ])('%o (own tag %s) → %o', (pr, own, expected) => {
    expect(baseTagCandidates(pr, own)).toEqual(expected);
  });
});
