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
import { getInputs } from '../../../src/actions/ecr-scan/inputs.ts';
import {
  baseTagCandidates,
  type RunContext,
  runEcrScan,
} from '../../../src/actions/ecr-scan/run-scan.ts';
import { failureMessage, renderSummary } from '../../../src/actions/ecr-scan/summary.ts';
import { runnerContext } from '../../../src/lib/context.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';
import { memoryLog } from '../../../src/lib/log.ts';
import { FakeGitHub } from './fake-github.ts';
import { response, sarifValidator } from './helpers.ts';

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
  const ctx: RunContext = {
    ecr: new ECRClient({ region: 'us-east-1' }),
    octokit: () => gh.octokit,
    repo: () => ({ owner: 'acme', repo: 'web' }),
    event,
    runner: runnerContext({ GITHUB_WORKSPACE: workspace, RUNNER_TEMP: runnerTemp }),
    now: new Date('2025-06-15T00:00:00Z'),
    log: { ...memoryLog(), warning: (m) => warnings.push(m) },
  };
  const inputs = () =>
    getInputs(
      mapInputs({ repository: 'web', 'image-tag': 'v1.4.0', 'github-token': 't', ...values }),
      workspace,
      event.name,
    );
  return { ctx, gh, warnings, inputs, workspace };
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
    expect(result.failing.map((f) => f.id)).toEqual(['CVE-2023-44487', 'CVE-2023-5678']);
    expect(result.counts.CRITICAL).toBe(1);
    expect(warnings).toEqual([
      '.github/ecr-scan-ignore.yml: ignore entry CVE-2023-5678 expired on 2025-01-01 and no longer applies',
      '.github/ecr-scan-ignore.yml: ignore entry CVE-1999-0001 matches no finding of this image: remove it',
    ]);
    expect(failureMessage(result.failing, 'high', result.image)).toBe(
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
      expired: result.ignore.expired,
      unmatched: result.ignore.unmatched,
      failOn: 'none',
      failing: result.failing,
      tickets: result.tickets!,
    });
    expect(summary).toContain('## ECR scan of `web:v1.4.0`');
    expect(summary).toContain('| 1 | 2 | 1 | 1 | 1 | 1 | 7 | 1 |');
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
