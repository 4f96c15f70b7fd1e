import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsResponse,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  ImageNotFoundException,
  LimitExceededException,
  RepositoryNotFoundException,
  ScanNotFoundException,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import {
  readAllFindings,
  type ScanTarget,
  scanImage,
  tryReadFindings,
  waitForScan,
} from '../../../src/actions/ecr-scan/scan.ts';
import { response } from './helpers.ts';

const ecrMock = mockClient(ECRClient);
const ecr = new ECRClient({ region: 'us-east-1' });
const target: ScanTarget = { repository: 'web', imageId: { imageTag: 'v1.4.0' } };

/** A fake clock: sleeping moves time forward instantly. */
function clock() {
  let now = 1_000_000;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    elapsed: () => now - 1_000_000,
  };
}

function withStatus(status: string, description?: string): DescribeImageScanFindingsResponse {
  return {
    repositoryName: 'web',
    imageId: { imageTag: 'v1.4.0', imageDigest: `sha256:${'c'.repeat(64)}` },
    imageScanStatus: { status: status as never, ...(description ? { description } : {}) },
    imageScanFindings: { findings: [] },
  };
}

const scanNotFound = () =>
  new ScanNotFoundException({ message: 'Image scan does not exist for the image', $metadata: {} });

beforeEach(() => ecrMock.reset());

describe('waiting for the scan', () => {
  test.each(['COMPLETE', 'ACTIVE'])('%s finishes the wait at once', async (status) => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(withStatus(status));
    const c = clock();
    const page = await waitForScan(ecr, target, { timeoutMs: 60_000, startScan: true, ...c });
    expect(page.imageScanStatus?.status).toBe(status);
    expect(c.elapsed()).toBe(0);
  });

  test.each(['IN_PROGRESS', 'PENDING'])('%s waits until the scan completes', async (status) => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolvesOnce(withStatus(status))
      .resolvesOnce(withStatus(status))
      .resolves(withStatus('COMPLETE'));
    const c = clock();
    const page = await waitForScan(ecr, target, {
      timeoutMs: 60_000,
      startScan: true,
      intervalMs: 1000,
      ...c,
    });
    expect(page.imageScanStatus?.status).toBe('COMPLETE');
    expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand)).toHaveLength(3);
    expect(c.elapsed()).toBeGreaterThanOrEqual(2000);
  });

  test.each([
    ['FAILED', 'the scan failed'],
    ['UNSUPPORTED_IMAGE', 'ECR cannot scan this image'],
    ['SCAN_ELIGIBILITY_EXPIRED', 'the image is no longer scanned: its scan eligibility expired'],
    ['FINDINGS_UNAVAILABLE', 'the findings are unavailable'],
    ['LIMIT_EXCEEDED', 'ECR refused the scan: the daily scan limit was exceeded'],
    ['IMAGE_ARCHIVED', 'the image is archived'],
  ])('%s is a clear one-line error', async (status, why) => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(withStatus(status, 'details from ECR'));
    const error = await waitForScan(ecr, target, {
      timeoutMs: 60_000,
      startScan: true,
      ...clock(),
    }).catch((e) => e);
    expect(error.name).toBe('ActionError');
    expect(error.message).toContain(`scan of web:v1.4.0: ${status}: ${why}`);
    expect(error.message).toContain('ECR says: details from ECR');
    expect(error.message).not.toContain('\n');
  });

  test('a scan still in progress at the deadline says so and names wait-timeout', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(withStatus('IN_PROGRESS'));
    const error = await waitForScan(ecr, target, {
      timeoutMs: 30_000,
      startScan: true,
      intervalMs: 5000,
      ...clock(),
    }).catch((e) => e);
    expect(error.message).toBe(
      'scan of web:v1.4.0 still IN_PROGRESS after 30s (wait-timeout): raise wait-timeout or try again later',
    );
  });

  test('asks for the maximum page size, by tag or digest and registry', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(withStatus('COMPLETE'));
    const digest = `sha256:${'d'.repeat(64)}`;
    await waitForScan(
      ecr,
      { repository: 'team/web', registryId: '210987654321', imageId: { imageDigest: digest } },
      {
        timeoutMs: 1000,
        startScan: true,
        ...clock(),
      },
    );
    expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'team/web',
      registryId: '210987654321',
      imageId: { imageDigest: digest },
      maxResults: 1000,
    });
  });

  test.each([
    [
      new ImageNotFoundException({ message: 'nope', $metadata: {} }),
      'image web:v1.4.0 was not found in ECR',
    ],
    [
      new RepositoryNotFoundException({ message: 'nope', $metadata: {} }),
      "repository: ECR repository 'web' does not exist",
    ],
  ])('%s becomes a message that says what is missing', async (err, message) => {
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(err);
    await expect(
      waitForScan(ecr, target, { timeoutMs: 1000, startScan: true, ...clock() }),
    ).rejects.toThrow(message);
  });
});

describe('an image without a scan', () => {
  test('under basic scanning, starts one scan and waits for it', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejectsOnce(scanNotFound())
      .resolvesOnce(withStatus('IN_PROGRESS'))
      .resolves(withStatus('COMPLETE'));
    ecrMock
      .on(GetRegistryScanningConfigurationCommand)
      .resolves({ scanningConfiguration: { scanType: 'BASIC', rules: [] } });
    ecrMock.on(StartImageScanCommand).resolves({ imageScanStatus: { status: 'IN_PROGRESS' } });
    const log: string[] = [];
    await waitForScan(ecr, target, {
      timeoutMs: 60_000,
      startScan: true,
      log: (m) => log.push(m),
      ...clock(),
    });
    expect(ecrMock.commandCalls(StartImageScanCommand)).toHaveLength(1);
    expect(ecrMock.commandCalls(StartImageScanCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'web',
      imageId: { imageTag: 'v1.4.0' },
    });
    expect(log).toContain('Started a basic scan of web:v1.4.0');
  });

  test('under enhanced scanning, never calls StartImageScan and explains the timeout', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(scanNotFound());
    ecrMock
      .on(GetRegistryScanningConfigurationCommand)
      .resolves({ scanningConfiguration: { scanType: 'ENHANCED' } });
    const error = await waitForScan(ecr, target, {
      timeoutMs: 20_000,
      startScan: true,
      ...clock(),
    }).catch((e) => e);
    expect(ecrMock.commandCalls(StartImageScanCommand)).toHaveLength(0);
    expect(error.message).toContain(
      "check that the registry's scanning rules cover repository web",
    );
  });

  test("ECR's once-a-day limit keeps waiting for the scan that already counted", async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejectsOnce(scanNotFound())
      .resolves(withStatus('COMPLETE'));
    ecrMock
      .on(GetRegistryScanningConfigurationCommand)
      .resolves({ scanningConfiguration: { scanType: 'BASIC' } });
    ecrMock.on(StartImageScanCommand).rejects(
      new LimitExceededException({
        message: 'The scan quota per image has been exceeded.',
        $metadata: {},
      }),
    );
    const page = await waitForScan(ecr, target, { timeoutMs: 60_000, startScan: true, ...clock() });
    expect(page.imageScanStatus?.status).toBe('COMPLETE');
  });

  test("when no scan ever appears after the limit, the error says it is ECR's daily limit", async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(scanNotFound());
    ecrMock
      .on(GetRegistryScanningConfigurationCommand)
      .resolves({ scanningConfiguration: { scanType: 'BASIC' } });
    ecrMock
      .on(StartImageScanCommand)
      .rejects(new LimitExceededException({ message: 'quota', $metadata: {} }));
    const error = await waitForScan(ecr, target, {
      timeoutMs: 20_000,
      startScan: true,
      ...clock(),
    }).catch((e) => e);
    expect(ecrMock.commandCalls(StartImageScanCommand)).toHaveLength(1);
    expect(error.message).toContain('one basic scan per image per 24 hours');
  });

  test('when StartImageScan answers that on-demand scans are disabled, waits for an enhanced scan', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejectsOnce(scanNotFound())
      .resolves(withStatus('ACTIVE'));
    ecrMock
      .on(GetRegistryScanningConfigurationCommand)
      .rejects(Object.assign(new Error('no'), { name: 'UnknownOperationException' }));
    ecrMock
      .on(StartImageScanCommand)
      .rejects(
        Object.assign(new Error('This feature is disabled'), { name: 'ValidationException' }),
      );
    const log: string[] = [];
    const page = await waitForScan(ecr, target, {
      timeoutMs: 60_000,
      startScan: true,
      log: (m) => log.push(m),
      ...clock(),
    });
    expect(page.imageScanStatus?.status).toBe('ACTIVE');
    expect(log.at(-1)).toContain('waiting for an enhanced scan');
  });

  test('an unreadable scanning configuration is taken as basic scanning', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejectsOnce(scanNotFound())
      .resolves(withStatus('COMPLETE'));
    ecrMock
      .on(GetRegistryScanningConfigurationCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    ecrMock.on(StartImageScanCommand).resolves({});
    await waitForScan(ecr, target, { timeoutMs: 60_000, startScan: true, ...clock() });
    expect(ecrMock.commandCalls(StartImageScanCommand)).toHaveLength(1);
  });

  test('with start-scan false, says how to get a scan instead of waiting', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(scanNotFound());
    await expect(
      waitForScan(ecr, target, { timeoutMs: 60_000, startScan: false, ...clock() }),
    ).rejects.toThrow(
      'image web:v1.4.0 has no scan: enable scan on push or enhanced scanning for the repository, or set start-scan: true',
    );
    expect(ecrMock.commandCalls(StartImageScanCommand)).toHaveLength(0);
  });
});

describe('reading findings', () => {
  test('reads every page of basic findings by following nextToken', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand, { nextToken: 'eyJwYWdlIjoyfQ==' })
      .resolves(response('basic-page-2'));
    const result = await readAllFindings(ecr, target, response('basic-page-1'));
    expect(result.pages).toBe(2);
    expect(result.scanner).toBe('basic');
    expect(result.findings.map((f) => f.id)).toEqual([
      'CVE-2023-38545',
      'CVE-2023-5678',
      'CVE-2022-3715',
      'CVE-2011-3374',
      'CVE-2023-44487',
      'CVE-2023-4039',
      'CVE-2005-2541',
    ]);
    expect(result.imageDigest).toBe(
      'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678',
    );
    expect(result.completedAt?.toISOString()).toBe('2024-06-10T06:13:20.000Z');
    expect(
      ecrMock.commandCalls(DescribeImageScanFindingsCommand)[0]!.args[0].input.maxResults,
    ).toBe(1000);
  });

  test('reads every page of enhanced findings, one finding per vulnerable package', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand, { nextToken: 'AAMA-EFRSURBSGh3' })
      .resolves(response('enhanced-page-2'));
    const result = await readAllFindings(
      ecr,
      { repository: 'api', imageId: { imageTag: 'main' } },
      response('enhanced-page-1'),
    );
    expect(result).toMatchObject({ status: 'ACTIVE', scanner: 'enhanced', pages: 2 });
    expect(result.findings.map((f) => `${f.id} ${f.packageName} ${f.packageVersion}`)).toEqual([
      'CVE-2024-0727 openssl 3.0.11-1~deb12u1',
      'CVE-2022-25883 semver 6.3.0',
      'CVE-2022-25883 semver 5.7.1',
      'CVE-2023-45853 zlib1g 1:1.2.13.dfsg-3',
    ]);
  });

  test('1,200 findings over two pages are all read', async () => {
    const many = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        name: `CVE-2024-${String(from + i).padStart(5, '0')}`,
        severity: 'LOW' as const,
        attributes: [{ key: 'package_name', value: `pkg-${from + i}` }],
      }));
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolvesOnce({
        ...withStatus('COMPLETE'),
        imageScanFindings: { findings: many(0, 1000) },
        nextToken: 't2',
      })
      .resolvesOnce({
        ...withStatus('COMPLETE'),
        imageScanFindings: { findings: many(1000, 200) },
      });
    const result = await scanImage(ecr, target, { timeoutMs: 1000, startScan: true, ...clock() });
    expect(result.findings).toHaveLength(1200);
    expect(new Set(result.findings.map((f) => f.id)).size).toBe(1200);
    expect(result.pages).toBe(2);
  });

  test('a page token that repeats is an error, not an endless loop', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolves({ ...withStatus('COMPLETE'), nextToken: 'same' });
    await expect(
      readAllFindings(ecr, target, { ...withStatus('COMPLETE'), nextToken: 'same' }),
    ).rejects.toThrow('ECR returned the same page token twice');
  });

  test('the base image is read when its scan is finished, and skipped when missing or unfinished', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand, { imageId: { imageTag: 'main' } })
      .resolves(withStatus('COMPLETE'))
      .on(DescribeImageScanFindingsCommand, { imageId: { imageTag: 'gone' } })
      .rejects(new ImageNotFoundException({ message: 'x', $metadata: {} }))
      .on(DescribeImageScanFindingsCommand, { imageId: { imageTag: 'busy' } })
      .resolves(withStatus('IN_PROGRESS'));
    expect(
      await tryReadFindings(ecr, { repository: 'web', imageId: { imageTag: 'main' } }),
    ).toMatchObject({ status: 'COMPLETE' });
    expect(
      await tryReadFindings(ecr, { repository: 'web', imageId: { imageTag: 'gone' } }),
    ).toBeUndefined();
    expect(
      await tryReadFindings(ecr, { repository: 'web', imageId: { imageTag: 'busy' } }),
    ).toBeUndefined();
  });
});

/** An ACTIVE enhanced answer listing these vulnerabilities, each in one OS package. */
function enhanced(ids: string[], status = 'ACTIVE'): DescribeImageScanFindingsResponse {
  return {
    ...withStatus(status),
    imageScanFindings: {
      imageScanCompletedAt: new Date('2025-06-01T10:00:00Z'),
      enhancedFindings: ids.map((id) => ({
        severity: 'HIGH',
        status: 'ACTIVE',
        packageVulnerabilityDetails: {
          vulnerabilityId: id,
          vulnerablePackages: [
            { name: 'glibc', epoch: 0, version: '2.34', release: '52.amzn2023.0.6' },
          ],
        },
      })),
    },
  };
}

describe('waiting for the findings to settle', () => {
  test('findings that keep arriving after ACTIVE are all read before the scan is judged', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolvesOnce(enhanced(['CVE-2024-0001']))
      .resolvesOnce(enhanced(['CVE-2024-0001']))
      .resolvesOnce(enhanced(['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003']))
      .resolves(enhanced(['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003', 'CVE-2024-0004']));
    const c = clock();
    const log: string[] = [];
    const result = await scanImage(ecr, target, {
      timeoutMs: 600_000,
      startScan: true,
      settleMs: 60_000,
      log: (m) => log.push(m),
      ...c,
    });
    expect(result.findings.map((f) => f.id)).toEqual([
      'CVE-2024-0001',
      'CVE-2024-0002',
      'CVE-2024-0003',
      'CVE-2024-0004',
    ]);
    expect(result.settle).toMatchObject({ settleMs: 60_000, settled: true, changes: 2 });
    // Reads 10 s apart: changes seen at 20 s and 30 s, then unchanged for a full minute.
    expect(result.settle.waitedMs).toBe(90_000);
    expect(c.elapsed()).toBe(90_000);
    expect(log).toContain('Findings changed 20s after the scan finished: 1 → 3');
  });

  test('findings that never stop changing are judged at wait-timeout, reported as not settled', async () => {
    let n = 0;
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .callsFake(() => enhanced(Array.from({ length: ++n }, (_, i) => `CVE-2024-${1000 + i}`)));
    const c = clock();
    const result = await scanImage(ecr, target, {
      timeoutMs: 120_000,
      startScan: true,
      settleMs: 60_000,
      ...c,
    });
    expect(result.settle.settled).toBe(false);
    expect(c.elapsed()).toBe(120_000);
    expect(result.settle.waitedMs).toBe(120_000);
    expect(result.findings).toHaveLength(n);
    expect(result.settle.changes).toBe(n - 1);
  });

  test('a scan that went back to IN_PROGRESS is waited for again', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolvesOnce(enhanced(['CVE-2024-0001'], 'COMPLETE'))
      .resolvesOnce(withStatus('IN_PROGRESS'))
      .resolves(enhanced(['CVE-2024-0001', 'CVE-2024-0002'], 'COMPLETE'));
    const result = await scanImage(ecr, target, {
      timeoutMs: 600_000,
      startScan: true,
      settleMs: 30_000,
      ...clock(),
    });
    expect(result.status).toBe('COMPLETE');
    expect(result.findings).toHaveLength(2);
    expect(result.settle.settled).toBe(true);
  });

  test('settle 0 judges the first finished answer with one read', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(enhanced(['CVE-2024-0001']));
    const c = clock();
    const result = await scanImage(ecr, target, {
      timeoutMs: 60_000,
      startScan: true,
      settleMs: 0,
      ...c,
    });
    expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand)).toHaveLength(1);
    expect(result.settle).toEqual({
      settleMs: 0,
      waitedMs: 0,
      settled: true,
      reads: 0,
      changes: 0,
    });
    expect(c.elapsed()).toBe(0);
  });

  test('a finding Inspector suppresses while settling counts as a change', async () => {
    const suppressed = enhanced(['CVE-2024-0001']);
    suppressed.imageScanFindings!.enhancedFindings![0]!.status = 'SUPPRESSED';
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .resolvesOnce(enhanced(['CVE-2024-0001']))
      .resolves(suppressed);
    const result = await scanImage(ecr, target, {
      timeoutMs: 600_000,
      startScan: true,
      settleMs: 30_000,
      ...clock(),
    });
    expect(result.findings[0]!.status).toBe('SUPPRESSED');
    expect(result.settle.changes).toBe(1);
  });
});
