// The built ecr-scan bundle, run the way the runner runs it, against the sandbox's ECR and GitHub.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type RunOptions, repoRoot, runAction } from '../../harness/index.ts';
import { generateBasicFindings } from '../../sandbox/fixtures/findings/generate.ts';
import { loadScenario, type Sandbox, start } from '../../sandbox/index.ts';
import {
  type BasicFinding,
  type EnhancedFinding,
  loadFindings,
  type ScanSpec,
} from '../../sandbox/services/ecr.ts';
import { sarifValidator } from '../../unit/ecr-scan/helpers.ts';

const scenarioFile = path.join(repoRoot, 'test', 'fixtures', 'ecr-scan', 'scenario.yaml');
const workspaces: string[] = [];

function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecr-scan-e2e-'));
  workspaces.push(dir);
  writeFileSync(
    path.join(dir, 'Dockerfile'),
    'FROM node:22 AS build\nRUN npm ci\n\nFROM node:22-slim\nCOPY --from=build /app /app\n',
  );
  return dir;
}

afterAll(() => {
  for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
});

function githubWrites(sandbox: Sandbox): string[] {
  return sandbox.calls
    .filter((c) => c.service === 'github' && c.operation.split(' ')[0] !== 'GET' && !c.fault)
    .map((c) => c.operation);
}

function basicFinding(
  name: string,
  severity: BasicFinding['severity'],
  pkg: string,
  version = '1.0',
): BasicFinding {
  return {
    name,
    severity,
    uri: `https://security-tracker.debian.org/tracker/${name}`,
    attributes: [
      { key: 'package_name', value: pkg },
      { key: 'package_version', value: version },
    ],
  };
}

describe('ecr-scan against the sandbox', () => {
  let sandbox: Sandbox;
  let ws: string;

  beforeAll(async () => {
    ws = workspace();
    sandbox = await start(loadScenario(scenarioFile));
  });
  afterAll(async () => {
    await sandbox?.stop();
  });
  afterEach(() => sandbox.faults.clear());

  // settle 0 unless a test is about settling: the action runs on the real clock.
  const run = (inputs: Record<string, string>, options: Partial<RunOptions> = {}) =>
    runAction('ecr-scan', {
      inputs: { 'fail-on': 'none', settle: '0', ...inputs },
      env: { ...sandbox.env },
      workspace: ws,
      timeoutMs: 90_000,
      ...options,
    });

  test('tickets: opened once, zero writes on identical re-runs, new opens one, fixed closes, recurring reopens', async () => {
    const inputs = {
      repository: 'web',
      'image-tag': 'v1',
      tickets: 'true',
      'ticket-severity': 'critical',
    };
    const issues = () => sandbox.github!.state.issuesWithLabel('ecr-scan');

    const first = await run(inputs);
    expect(first.exitCode, first.stderr + first.log).toBe(0);
    expect(first.outputs['tickets-opened']).toBe('2');
    expect(
      issues()
        .map((i) => i.title)
        .sort(),
    ).toEqual([
      'CVE-2023-38545 in curl (CRITICAL) — web',
      'CVE-2024-45490 in expat (CRITICAL) — web',
    ]);
    expect(issues().every((i) => i.labels.includes('security'))).toBe(true);

    for (const _rerun of [2, 3]) {
      const before = githubWrites(sandbox).length;
      const again = await run(inputs);
      expect(again.exitCode).toBe(0);
      expect(again.outputs).toMatchObject({
        'tickets-opened': '0',
        'tickets-updated': '0',
        'tickets-closed': '0',
      });
      expect(githubWrites(sandbox).slice(before)).toEqual([]);
    }

    const original = loadFindings('basic-debian-bookworm.json');
    const withNew = [...original, basicFinding('CVE-2024-99999', 'CRITICAL', 'libfoo')];
    await sandbox.ecr!.state.setFindings('web', 'v1', withNew);
    const added = await run(inputs);
    expect(added.outputs['tickets-opened']).toBe('1');
    expect(issues()).toHaveLength(3);

    const withoutCurl = withNew.filter((f) => !('name' in f) || f.name !== 'CVE-2023-38545');
    await sandbox.ecr!.state.setFindings('web', 'v1', withoutCurl);
    const fixed = await run(inputs);
    expect(fixed.outputs['tickets-closed']).toBe('1');
    const curlTicket = issues().find((i) => i.title.startsWith('CVE-2023-38545'))!;
    expect(curlTicket).toMatchObject({ state: 'closed', state_reason: 'completed' });
    const closeComment = [...sandbox.github!.state.comments.values()].filter(
      (c) => c.issue_number === curlTicket.number,
    );
    expect(closeComment.map((c) => c.body).join()).toContain('no longer reports this finding');

    await sandbox.ecr!.state.setFindings('web', 'v1', withNew);
    const back = await run(inputs);
    expect(back.outputs).toMatchObject({
      'tickets-opened': '0',
      'tickets-updated': '1',
      'tickets-closed': '0',
    });
    expect(issues().find((i) => i.number === curlTicket.number)!.state).toBe('open');
    expect(issues()).toHaveLength(3);
    expect(back.summary).toContain('**Reopened (1)**');
  });

  test('the PR comment is created once, then edited in place, and compares with the base commit image', async () => {
    const event = {
      name: 'pull_request',
      payload: {
        pull_request: {
          number: 12,
          base: { ref: 'main', sha: '1234567890abcdef1234567890abcdef12345678' },
        },
      },
    };
    const comments = () =>
      [...sandbox.github!.state.comments.values()].filter(
        (c) =>
          c.issue_number === 12 && c.body.includes('<!-- fargate-delivery:ecr-scan-pr-comment:'),
      );

    await sandbox.ecr!.state.setFindings('fresh', 'v1', [
      basicFinding('CVE-2024-10001', 'HIGH', 'openssl', '3.0.11'),
    ]);
    const first = await run({ repository: 'fresh', 'image-tag': 'v1' }, { event });
    expect(first.exitCode, first.stderr + first.log).toBe(0);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.body).toContain(
      '**1 finding at or above HIGH** (no scanned base image was found to compare with)',
    );

    const before = githubWrites(sandbox).length;
    await run({ repository: 'fresh', 'image-tag': 'v1' }, { event });
    expect(githubWrites(sandbox).slice(before)).toEqual([]);

    const onWeb = await run({ repository: 'web', 'image-tag': 'v1' }, { event });
    expect(onWeb.exitCode).toBe(0);
    const webComment = comments().find((c) =>
      /ecr-scan-pr-comment:(\d{12}\/)?web -->/.test(c.body),
    )!;
    expect(webComment.body).toContain('compared with the base image `web:1234567`');
    expect(webComment.body).not.toContain('CVE-2023-38545');

    const id = comments()[0]!.id;
    await sandbox.ecr!.state.setFindings('fresh', 'v1', [
      basicFinding('CVE-2024-10001', 'HIGH', 'openssl', '3.0.11'),
      basicFinding('CVE-2024-10002', 'CRITICAL', 'glibc', '2.36'),
    ]);
    await run({ repository: 'fresh', 'image-tag': 'v1' }, { event });
    const fresh = comments().filter((c) => /ecr-scan-pr-comment:(\d{12}\/)?fresh -->/.test(c.body));
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.id).toBe(id);
    expect(fresh[0]!.body).toContain('CVE-2024-10002');
  });

  test('1,200 findings over several pages are all counted, written and turned into valid SARIF', async () => {
    await sandbox.ecr!.state.setScan('batch', 'big', {
      findings: generateBasicFindings(1200, 'ecr-scan-e2e'),
    });
    const before = sandbox.callsTo('DescribeImageScanFindings', 'ecr').length;
    const result = await run({
      repository: 'batch',
      'image-tag': 'big',
      'sarif-file': 'ecr.sarif',
    });
    expect(result.exitCode, result.stderr + result.log).toBe(0);
    expect(result.outputs.total).toBe('1200');
    const counts = ['critical', 'high', 'medium', 'low', 'informational', 'undefined'].map((k) =>
      Number(result.outputs[k]),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1200);
    const pages = sandbox.callsTo('DescribeImageScanFindings', 'ecr').slice(before);
    expect(pages).toHaveLength(2);
    expect(pages.every((c) => (c.params as { maxResults?: number }).maxResults === 1000)).toBe(
      true,
    );

    const findings = JSON.parse(readFileSync(result.outputs['findings-file']!, 'utf8'));
    expect(findings.findings).toHaveLength(1200);
    const sarif = JSON.parse(readFileSync(result.outputs['sarif-file']!, 'utf8'));
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(sarif.runs[0].results).toHaveLength(1200);
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.region.startLine).toBe(4);
    expect(sarif.runs[0].automationDetails.id).toBe('ecr/batch/');
  });

  test('a throttled GitHub API (secondary limit 403 and 429 with retry-after) still finishes without duplicates', async () => {
    await sandbox.ecr!.state.setFindings('batch', 'big', [
      basicFinding('CVE-2024-20001', 'CRITICAL', 'libc6'),
      basicFinding('CVE-2024-20002', 'CRITICAL', 'libssl3'),
      basicFinding('CVE-2024-20003', 'CRITICAL', 'zlib1g'),
    ]);
    sandbox.faults.set([
      {
        kind: 'github-secondary-rate-limit',
        service: 'github',
        operation: 'POST /repos/acme/web/issues',
        count: 2,
        retryAfter: 1,
      },
      {
        kind: 'github-rate-limit',
        service: 'github',
        operation: 'GET /repos/acme/web/issues',
        count: 1,
        retryAfter: 1,
      },
    ]);
    const inputs = {
      repository: 'batch',
      'image-tag': 'big',
      tickets: 'true',
      'ticket-severity': 'critical',
    };
    const result = await run(inputs);
    expect(result.exitCode, result.stderr + result.log).toBe(0);
    expect(sandbox.calls.filter((c) => c.service === 'github' && c.fault).length).toBe(3);
    const batchTickets = sandbox
      .github!.state.issuesWithLabel('ecr-scan')
      .filter((i) => i.title.endsWith('— batch'));
    expect(batchTickets.map((i) => i.title).sort()).toEqual([
      'CVE-2024-20001 in libc6 (CRITICAL) — batch',
      'CVE-2024-20002 in libssl3 (CRITICAL) — batch',
      'CVE-2024-20003 in zlib1g (CRITICAL) — batch',
    ]);
    expect(result.outputs['tickets-opened']).toBe('3');
    expect(result.log).toContain('rate limit');

    const before = githubWrites(sandbox).length;
    const again = await run(inputs);
    expect(again.exitCode).toBe(0);
    expect(githubWrites(sandbox).slice(before)).toEqual([]);
  });

  test('an image without a scan gets one basic scan started, waited for while IN_PROGRESS, then judged', async () => {
    const result = await run({ repository: 'later', 'image-tag': 'v1', 'fail-on': 'critical' });
    const starts = sandbox.callsTo('StartImageScan', 'ecr');
    expect(starts.map((c) => (c.params as { repositoryName: string }).repositoryName)).toContain(
      'later',
    );
    expect(
      starts.filter((c) => (c.params as { repositoryName: string }).repositoryName === 'later'),
    ).toHaveLength(1);
    expect(result.log).toContain('Started a basic scan of later:v1');
    expect(result.log).toContain('Scan of later:v1: IN_PROGRESS');
    expect(result.outputs.status).toBe('COMPLETE');
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^2 findings at or above CRITICAL in later:v1 \(fail-on: critical\): CVE-2023-38545, CVE-2024-45490\./,
      ),
    ]);
  });

  test('enhanced findings are read as ACTIVE, one per vulnerable package', async () => {
    // ECR's scan type is the registry's: turn enhanced scanning on for `api` for this test.
    sandbox.ecr!.state.setScanning({
      scanType: 'ENHANCED',
      rules: [{ scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: 'api' }] }],
    });
    onTestFinished(() => sandbox.ecr!.state.setScanning({ scanType: 'BASIC' }));
    const result = await run({ repository: 'api', 'image-tag': 'v1' });
    expect(result.exitCode, result.stderr + result.log).toBe(0);
    expect(result.outputs.status).toBe('ACTIVE');
    const file = JSON.parse(readFileSync(result.outputs['findings-file']!, 'utf8'));
    expect(file.scanner).toBe('enhanced');
    expect(
      file.findings
        .filter((f: { id: string }) => f.id === 'CVE-2023-38545')
        .map((f: { packageName: string }) => f.packageName)
        .sort(),
    ).toEqual(['curl', 'libcurl4']);
    expect(result.summary).toContain('## ECR scan of `api:v1`');
  });

  test('a failed scan is one clear error line', async () => {
    const result = await run({ repository: 'web', 'image-tag': 'broken' });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^scan of web:broken: FAILED: the scan failed/);
  });

  describe('under enhanced scanning', () => {
    /** Enhanced, continuous scanning for `api` until the test ends; images pushed now are scanned. */
    function enhancedApi(): void {
      sandbox.ecr!.state.setScanning({
        scanType: 'ENHANCED',
        rules: [{ scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: 'api' }] }],
      });
      onTestFinished(() => sandbox.ecr!.state.setScanning({ scanType: 'BASIC' }));
    }

    /** Pushes `api:<tag>` with layers of its own (a new digest), scanned as `scan` says. */
    async function push(tag: string, seed: string, scan: ScanSpec) {
      return sandbox.ecr!.state.pushImage('api', {
        tags: [tag],
        layers: [{ size: 2048, seed }],
        scan,
      });
    }

    const al2023 = () => loadFindings('enhanced-amazonlinux2023.json') as EnhancedFinding[];
    async function until(done: () => boolean, timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > deadline) throw new Error('timed out waiting for the sandbox');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    const idOf = (f: EnhancedFinding) => f.packageVulnerabilityDetails!.vulnerabilityId!;

    test('a finding Inspector delivers after the scan reports ACTIVE fails the gate once the findings settle', async () => {
      enhancedApi();
      const all = al2023();
      const critical = all.find((f) => idOf(f) === 'CVE-2024-45490')!;
      const rest = all.filter((f) => f !== critical && f.severity !== 'HIGH');
      // ECR says ACTIVE at the push with everything but the critical finding.
      await push('late', 'api-late', { findings: rest });
      const early = await run({ repository: 'api', 'image-tag': 'late', 'fail-on': 'critical' });
      expect(early.exitCode, early.stderr + early.log).toBe(0);

      // Inspector delivers the critical finding only after the settling run has read the
      // findings once, whatever the machine's speed: the run must see them change.
      const reads = () => sandbox.callsTo('DescribeImageScanFindings').length;
      const before = reads();
      const settling = run({
        repository: 'api',
        'image-tag': 'late',
        'fail-on': 'critical',
        settle: '8s',
      });
      await until(() => reads() > before);
      await sandbox.ecr!.state.setScan('api', 'late', {
        findings: rest,
        arrivals: [{ afterSeconds: 0, findings: [critical] }],
      });
      const settled = await settling;
      expect(settled.exitCode, settled.stderr + settled.log).toBe(1);
      expect(settled.errors).toEqual([
        expect.stringMatching(
          /^1 finding at or above CRITICAL in api:late \(fail-on: critical\): CVE-2024-45490\./,
        ),
      ]);
      expect(settled.log).toMatch(/Findings changed \d+s after the scan finished: \d+ → \d+/);
      expect(settled.log).toMatch(/Findings settled: unchanged for 8s/);
      expect(settled.summary).toMatch(
        /findings settled \d+s after the scan finished \(unchanged for 8s\)/,
      );
      expect(Number(settled.outputs['settle-seconds'])).toBeGreaterThanOrEqual(8);
    });

    test('suppressed findings never fail the gate; fail-on-exploitable and fail-on-fixable narrow it', async () => {
      enhancedApi();
      await push('al2023', 'api-al2023', { findingsFile: 'enhanced-amazonlinux2023.json' });
      const gate = (inputs: Record<string, string>) =>
        run({ repository: 'api', 'image-tag': 'al2023', 'fail-on': 'high', ...inputs });

      const high = await gate({});
      expect(high.exitCode, high.stderr + high.log).toBe(1);
      expect(high.errors).toEqual([
        expect.stringMatching(
          /^4 findings at or above HIGH in api:al2023 \(fail-on: high\): CVE-2024-45490, CVE-2023-4911\./,
        ),
      ]);
      expect(high.outputs).toMatchObject({ suppressed: '1', failing: '4', total: '10' });
      expect(high.summary).toContain('### Suppressed or closed in Amazon Inspector (1)');
      expect(high.summary).toContain('| CVE-2023-2953 | `openldap` | HIGH | SUPPRESSED |');
      expect(high.summary).toContain(
        'Rule: `fail-on: high` — 4 at or above HIGH (`fail-on: high`).',
      );

      const exploitable = await gate({ 'fail-on-exploitable': 'true' });
      expect(exploitable.exitCode).toBe(1);
      expect(exploitable.errors[0]).toMatch(
        /^3 findings at or above HIGH, with a known exploit in api:al2023 \(fail-on: high, fail-on-exploitable: true\): CVE-2023-4911\./,
      );
      expect(exploitable.summary).toContain(
        '4 at or above HIGH (`fail-on: high`) → 3 with a known exploit (`fail-on-exploitable: true`)',
      );

      const fixable = await gate({ 'fail-on': 'low', 'fail-on-fixable': 'true' });
      expect(fixable.outputs.failing).toBe('9');
      expect(fixable.errors[0]).not.toContain('CVE-2022-3219');

      const findings = JSON.parse(readFileSync(high.outputs['findings-file']!, 'utf8'));
      const glibc = findings.findings.find(
        (f: { packageName: string }) => f.packageName === 'glibc',
      );
      expect(glibc).toMatchObject({
        packageVersion: '2.34-52.amzn2023.0.6',
        fixedInVersion: '2.34-52.amzn2023.0.7',
        exploitAvailable: true,
      });
    });

    test('the same findings in an image with a new digest make zero GitHub writes', async () => {
      enhancedApi();
      const inputs = {
        repository: 'api',
        'image-tag': 'release',
        tickets: 'true',
        'ticket-severity': 'medium',
        'ticket-labels': 'security,ecr-scan,api-release',
      };
      const first = await push('release', 'api-release-1', {
        findingsFile: 'enhanced-amazonlinux2023.json',
      });
      const opened = await run(inputs);
      expect(opened.exitCode, opened.stderr + opened.log).toBe(0);
      expect(opened.outputs['tickets-opened']).toBe('8');

      const second = await push('release', 'api-release-2', {
        findingsFile: 'enhanced-amazonlinux2023.json',
      });
      expect(second.digest).not.toBe(first.digest);
      const before = githubWrites(sandbox).length;
      const again = await run(inputs);
      expect(again.exitCode, again.stderr + again.log).toBe(0);
      expect(githubWrites(sandbox).slice(before)).toEqual([]);
      expect(again.outputs).toMatchObject({
        'tickets-opened': '0',
        'tickets-updated': '0',
        'tickets-closed': '0',
      });
      expect(again.summary).toContain('8 tickets already up to date.');

      // The next image no longer has glibc-common: that ticket alone is closed (a comment and
      // the close), the seven others stay as they are.
      const fixedGlibc = al2023().map((f) =>
        idOf(f) === 'CVE-2023-4911'
          ? {
              ...f,
              packageVulnerabilityDetails: {
                ...f.packageVulnerabilityDetails,
                vulnerablePackages: f.packageVulnerabilityDetails!.vulnerablePackages!.filter(
                  (p) => p.name !== 'glibc-common',
                ),
              },
            }
          : f,
      );
      await push('release', 'api-release-3', { findings: fixedGlibc });
      const writesBefore = githubWrites(sandbox).length;
      const changed = await run(inputs);
      expect(changed.outputs).toMatchObject({ 'tickets-updated': '0', 'tickets-closed': '1' });
      expect(githubWrites(sandbox).slice(writesBefore)).toHaveLength(2);
    });

    test('SARIF has one result per vulnerability, package and path, with unique fingerprints', async () => {
      enhancedApi();
      await push('paths', 'api-paths', { findingsFile: 'enhanced-inspector.json' });
      const result = await run({
        repository: 'api',
        'image-tag': 'paths',
        'sarif-file': 'api.sarif',
      });
      expect(result.exitCode, result.stderr + result.log).toBe(0);
      const sarif = JSON.parse(readFileSync(result.outputs['sarif-file']!, 'utf8'));
      const validate = sarifValidator();
      expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
      const results = sarif.runs[0].results as {
        ruleId: string;
        partialFingerprints: Record<string, string>;
        locations: { message: { text: string } }[];
      }[];
      const prints = results.map((r) => r.partialFingerprints['ecrScanFinding/v1']);
      expect(new Set(prints).size).toBe(results.length);
      expect(results).toHaveLength(Number(result.outputs.total));
      expect(
        results
          .filter((r) => r.ruleId === 'CVE-2022-25883')
          .map((r) => r.locations[0]!.message.text),
      ).toEqual([
        'semver 5.7.1 at app/node_modules/make-dir/node_modules/semver/package.json in image api:paths',
        'semver 6.3.0 at app/node_modules/semver/package.json in image api:paths',
      ]);
    });
  });

  test('fail-on-scope new fails a pull request only on what it adds to the base image', async () => {
    const event = {
      name: 'pull_request',
      payload: {
        pull_request: {
          number: 12,
          base: { ref: 'main', sha: '1234567890abcdef1234567890abcdef12345678' },
        },
      },
    };
    const inputs = {
      repository: 'web',
      'image-tag': 'v1',
      'fail-on': 'critical',
      'fail-on-scope': 'new',
      'pr-comment': 'false',
    };
    await sandbox.ecr!.state.setFindings('web', 'v1', loadFindings('basic-debian-bookworm.json'));
    const onPr = await run(inputs, { event });
    expect(onPr.exitCode, onPr.stderr + onPr.log).toBe(1);
    expect(onPr.errors).toEqual([
      expect.stringMatching(
        /^1 finding at or above CRITICAL, not in the base image web:1234567 in web:v1 \(fail-on: critical, fail-on-scope: new\): CVE-2024-45490\./,
      ),
    ]);
    const onPush = await run(inputs);
    expect(onPush.errors[0]).toMatch(/^2 findings at or above CRITICAL in web:v1/);
    expect(onPush.summary).toContain('found no scanned base image to compare with');
  });
});
