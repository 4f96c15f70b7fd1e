import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  GetRegistryScanningConfigurationCommand,
  ImageNotFoundException,
  paginateDescribeImageScanFindings,
  RepositoryNotFoundException,
  ScanNotFoundException,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { generateBasicFindings, generateEnhancedFindings } from './fixtures/findings/generate.ts';
import { buildImage, MANIFEST_ACCEPT, MEDIA_TYPES, pushImage } from './images.ts';
import { type Registry, startRegistry } from './registry.ts';
import {
  type BasicFinding,
  createEcr,
  type EcrModule,
  type EcrScenario,
  type EnhancedFinding,
  loadFindings,
} from './services/ecr.ts';
import { AwsError, type Clock } from './types.ts';

const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64' };

function manualClock(start = Date.UTC(2025, 0, 6, 9)): Clock & { advance(ms: number): void } {
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

const scenario: EcrScenario = {
  repositories: [
    {
      name: 'web',
      scanOnPush: true,
      images: [
        {
          tags: ['v1', 'latest'],
          layers: [
            { size: 3_000, seed: 'web-os' },
            { size: 500, seed: 'web-app-1' },
          ],
          scan: { findingsFile: 'basic-debian-bookworm.json', inProgressSeconds: 30 },
        },
        { tag: 'v2', layers: [{ size: 2_000, seed: 'web-multi' }], platforms: [amd64, arm64] },
      ],
    },
    {
      // Scanned once the registry turns enhanced scanning on for it (ECR's scan type is the
      // registry's, not a repository's).
      name: 'api',
      images: [
        { tags: ['v1'], scan: { findingsFile: 'enhanced-inspector.json', inProgressSeconds: 60 } },
        { tags: ['big'], scan: { findings: generateEnhancedFindings(1_200) } },
      ],
    },
    {
      name: 'batch',
      scanOnPush: true,
      images: [
        { tags: ['big'], scan: { findings: generateBasicFindings(1_200) } },
        { tags: ['broken'], scan: { status: 'FAILED' } },
        { tags: ['expired'], scan: { status: 'SCAN_ELIGIBILITY_EXPIRED' } },
      ],
    },
    {
      name: 'manual',
      images: [{ tags: ['v1'], scan: { findings: [{ name: 'CVE-2024-6387', severity: 'HIGH' }] } }],
    },
  ],
};

let registry: Registry;
let ecr: EcrModule;
const clock = manualClock();

beforeAll(async () => {
  registry = await startRegistry({ auth: true });
  ecr = createEcr(scenario, {
    region: 'eu-west-1',
    accountId: '123456789012',
    clock,
    registry,
    record: () => {},
  });
  await ecr.setup();
});

afterAll(async () => {
  await registry.stop();
});

/** Enhanced, continuous scanning for repositories named like `api`, until the test ends. */
function enhancedForApi(): void {
  ecr.state.setScanning({
    scanType: 'ENHANCED',
    rules: [{ scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: 'ap*' }] }],
  });
  onTestFinished(() => ecr.state.setScanning({ scanType: 'BASIC' }));
}

async function call<T = Record<string, unknown>>(
  op: string,
  params: Record<string, unknown> = {},
): Promise<T> {
  return (await ecr.handle(op, params)) as T;
}

async function failure(op: string, params: Record<string, unknown>): Promise<AwsError> {
  try {
    await ecr.handle(op, params);
  } catch (e) {
    if (e instanceof AwsError) return e;
    throw e;
  }
  throw new Error(`${op} succeeded`);
}

interface Detail {
  imageDigest: string;
  imageTags?: string[];
  imageSizeInBytes: number;
  imagePushedAt: number;
  imageManifestMediaType: string;
  imageScanStatus?: { status: string };
  imageScanFindingsSummary?: { findingSeverityCounts: Record<string, number> };
}

describe('ECR simulator, called directly', () => {
  it('hands out a token whose password opens the registry at proxyEndpoint', async () => {
    const { authorizationData } = await call<{
      authorizationData: { authorizationToken: string; expiresAt: number; proxyEndpoint: string }[];
    }>('GetAuthorizationToken');
    const data = authorizationData[0];
    expect(data?.proxyEndpoint).toBe(`http://${registry.host}`);
    expect(data?.expiresAt).toBe(clock.now() / 1000 + 12 * 3600);
    const decoded = Buffer.from(data?.authorizationToken ?? '', 'base64').toString();
    expect(decoded.startsWith('AWS:')).toBe(true);
    const res = await fetch(`${data?.proxyEndpoint}/v2/web/manifests/v1`, {
      headers: { authorization: `Basic ${data?.authorizationToken}`, accept: MANIFEST_ACCEPT },
    });
    expect(res.status).toBe(200);
  });

  it('describes repositories with URIs clients can pull from, and refuses unknown ones', async () => {
    const { repositories } = await call<{ repositories: Record<string, unknown>[] }>(
      'DescribeRepositories',
      { repositoryNames: ['web'] },
    );
    expect(repositories[0]).toMatchObject({
      repositoryName: 'web',
      repositoryUri: `${registry.host}/web`,
      repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/web',
      imageScanningConfiguration: { scanOnPush: true },
    });
    const err = await failure('DescribeRepositories', { repositoryNames: ['nope'] });
    expect(err.type).toBe('RepositoryNotFoundException');
    expect(err.message).toContain("'nope'");
  });

  it('describes an image by tag with its digest, every tag, size and media type', async () => {
    const built = buildImage({
      layers: [
        { size: 3_000, seed: 'web-os' },
        { size: 500, seed: 'web-app-1' },
      ],
    });
    const { imageDetails } = await call<{ imageDetails: Detail[] }>('DescribeImages', {
      repositoryName: 'web',
      imageIds: [{ imageTag: 'latest' }],
    });
    expect(imageDetails).toHaveLength(1);
    expect(imageDetails[0]).toMatchObject({
      imageDigest: built.digest,
      imageTags: ['latest', 'v1'],
      imageSizeInBytes: built.size,
      imageManifestMediaType: MEDIA_TYPES.ociManifest,
      imagePushedAt: Date.UTC(2025, 0, 6, 9) / 1000,
    });
    const missing = await failure('DescribeImages', {
      repositoryName: 'web',
      imageIds: [{ imageTag: 'v404' }],
    });
    expect(missing.type).toBe('ImageNotFoundException');
  });

  it('lists platform and attestation manifests of a multi-platform image as untagged images', async () => {
    const { imageDetails: untagged } = await call<{ imageDetails: Detail[] }>('DescribeImages', {
      repositoryName: 'web',
      filter: { tagStatus: 'UNTAGGED' },
    });
    expect(untagged).toHaveLength(4);
    expect(untagged.every((d) => d.imageTags === undefined)).toBe(true);
    const { imageDetails: tagged } = await call<{ imageDetails: Detail[] }>('DescribeImages', {
      repositoryName: 'web',
      filter: { tagStatus: 'TAGGED' },
    });
    const byTag = new Map(tagged.map((d) => [d.imageTags?.join(','), d]));
    expect([...byTag.keys()].sort()).toEqual(['latest,v1', 'v2']);
    expect(byTag.get('v2')?.imageManifestMediaType).toBe(MEDIA_TYPES.ociIndex);
  });

  it('pages through images with maxResults and nextToken', async () => {
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await call<{ imageDetails: Detail[]; nextToken?: string }>('DescribeImages', {
        repositoryName: 'web',
        maxResults: 2,
        ...(nextToken ? { nextToken } : {}),
      });
      expect(page.imageDetails.length).toBeLessThanOrEqual(2);
      seen.push(...page.imageDetails.map((d) => d.imageDigest));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(6);
  });

  it('sees an image pushed to the registry after startup, with the push time and exact manifest', async () => {
    const image = buildImage({ format: 'docker', layers: [{ size: 1_000, seed: 'build-step' }] });
    clock.advance(5_000);
    await pushImage(registry, 'web', 'v3', image);
    const { imageDetails } = await call<{ imageDetails: Detail[] }>('DescribeImages', {
      repositoryName: 'web',
      imageIds: [{ imageTag: 'v3' }],
    });
    expect(imageDetails[0]).toMatchObject({
      imageDigest: image.digest,
      imagePushedAt: clock.now() / 1000,
      imageManifestMediaType: MEDIA_TYPES.dockerManifest,
      imageScanStatus: { status: 'COMPLETE' },
    });
    const got = await call<{ images: { imageManifest: string; imageId: unknown }[] }>(
      'BatchGetImage',
      { repositoryName: 'web', imageIds: [{ imageTag: 'v3' }] },
    );
    expect(got.images[0]?.imageManifest).toBe(image.bytes.toString());
    expect(got.images[0]?.imageId).toEqual({ imageDigest: image.digest, imageTag: 'v3' });
  });

  it('returns manifests byte for byte and reports missing ones as failures', async () => {
    const index = buildImage({
      layers: [{ size: 2_000, seed: 'web-multi' }],
      platforms: [amd64, arm64],
    });
    const got = await call<{
      images: { imageManifest: string; imageManifestMediaType: string }[];
      failures: { imageId: unknown; failureCode: string; failureReason: string }[];
    }>('BatchGetImage', {
      repositoryName: 'web',
      imageIds: [
        { imageTag: 'v2' },
        { imageDigest: index.platforms[1]?.digest },
        { imageTag: 'gone' },
      ],
    });
    expect(got.images.map((i) => i.imageManifest)).toEqual([
      index.bytes.toString(),
      index.platforms[1]?.bytes.toString(),
    ]);
    expect(got.images[0]?.imageManifestMediaType).toBe(MEDIA_TYPES.ociIndex);
    expect(got.failures).toEqual([
      {
        imageId: { imageTag: 'gone' },
        failureCode: 'ImageNotFound',
        failureReason: 'Requested image not found',
      },
    ]);
    const narrowed = await call<{ images: unknown[]; failures: { failureCode: string }[] }>(
      'BatchGetImage',
      {
        repositoryName: 'web',
        imageIds: [{ imageTag: 'v2' }],
        acceptedMediaTypes: [MEDIA_TYPES.dockerManifest],
      },
    );
    expect(narrowed.images).toEqual([]);
    expect(narrowed.failures[0]?.failureCode).toBe('UnsupportedImageType');
  });

  it('keeps a basic scan IN_PROGRESS for its simulated duration, then COMPLETE with findings', async () => {
    const fresh = manualClock();
    const local = createEcr(
      { repositories: [{ name: 'web', scanOnPush: true }] },
      { region: 'eu-west-1', accountId: '123456789012', clock: fresh, registry },
    );
    await local.setup();
    await local.state.setScan('web', 'v1', {
      findingsFile: 'basic-debian-bookworm.json',
      inProgressSeconds: 30,
    });
    // This instance first sees the image now, so the scan-on-push scan starts now.
    const first = (await local.handle('DescribeImageScanFindings', {
      repositoryName: 'web',
      imageId: { imageTag: 'v1' },
    })) as Record<string, unknown>;
    expect(first.imageScanStatus).toMatchObject({ status: 'IN_PROGRESS' });
    expect(first.imageScanFindings).toBeUndefined();
    fresh.advance(30_000);
    const done = (await local.handle('DescribeImageScanFindings', {
      repositoryName: 'web',
      imageId: { imageTag: 'v1' },
    })) as {
      imageScanStatus: { status: string };
      imageScanFindings: {
        findings: BasicFinding[];
        findingSeverityCounts: Record<string, number>;
      };
    };
    expect(done.imageScanStatus.status).toBe('COMPLETE');
    expect(done.imageScanFindings.findings).toHaveLength(17);
    expect(done.imageScanFindings.findingSeverityCounts).toEqual({
      CRITICAL: 2,
      HIGH: 8,
      MEDIUM: 3,
      LOW: 3,
      INFORMATIONAL: 1,
    });
  });

  it('reports scenario-chosen scan failures without findings', async () => {
    for (const [tag, status] of [
      ['broken', 'FAILED'],
      ['expired', 'SCAN_ELIGIBILITY_EXPIRED'],
    ]) {
      const res = await call('DescribeImageScanFindings', {
        repositoryName: 'batch',
        imageId: { imageTag: tag },
      });
      expect(res.imageScanStatus).toMatchObject({ status });
      expect(res.imageScanFindings).toBeUndefined();
    }
  });

  it('pages 1,200 basic findings at most 1,000 at a time, counting severities over all of them', async () => {
    const first = await call<{
      nextToken?: string;
      imageScanFindings: {
        findings: BasicFinding[];
        findingSeverityCounts: Record<string, number>;
      };
    }>('DescribeImageScanFindings', {
      repositoryName: 'batch',
      imageId: { imageTag: 'big' },
      maxResults: 1_000,
    });
    expect(first.imageScanFindings.findings).toHaveLength(1_000);
    const total = Object.values(first.imageScanFindings.findingSeverityCounts).reduce(
      (a, b) => a + b,
      0,
    );
    expect(total).toBe(1_200);
    const second = await call<{
      nextToken?: string;
      imageScanFindings: { findings: BasicFinding[] };
    }>('DescribeImageScanFindings', {
      repositoryName: 'batch',
      imageId: { imageTag: 'big' },
      maxResults: 1_000,
      nextToken: first.nextToken,
    });
    expect(second.imageScanFindings.findings).toHaveLength(200);
    expect(second.nextToken).toBeUndefined();
    const names = new Set(
      [...first.imageScanFindings.findings, ...second.imageScanFindings.findings].map(
        (f) => f.name,
      ),
    );
    expect(names.size).toBe(1_200);
    const defaulted = await call<{ imageScanFindings: { findings: unknown[] } }>(
      'DescribeImageScanFindings',
      {
        repositoryName: 'batch',
        imageId: { imageTag: 'big' },
      },
    );
    expect(defaulted.imageScanFindings.findings).toHaveLength(100);
    const tooMany = await failure('DescribeImageScanFindings', {
      repositoryName: 'batch',
      imageId: { imageTag: 'big' },
      maxResults: 1_001,
    });
    expect(tooMany.type).toBe('InvalidParameterException');
  });

  it('answers ScanNotFoundException until a basic scan is started, then limits scans to one a day', async () => {
    const notYet = await failure('DescribeImageScanFindings', {
      repositoryName: 'manual',
      imageId: { imageTag: 'v1' },
    });
    expect(notYet.type).toBe('ScanNotFoundException');
    const started = await call('StartImageScan', {
      repositoryName: 'manual',
      imageId: { imageTag: 'v1' },
    });
    expect(started.imageScanStatus).toMatchObject({ status: 'IN_PROGRESS' });
    const found = await call<{ imageScanFindings: { findings: BasicFinding[] } }>(
      'DescribeImageScanFindings',
      { repositoryName: 'manual', imageId: { imageTag: 'v1' } },
    );
    expect(found.imageScanFindings.findings.map((f) => f.name)).toEqual(['CVE-2024-6387']);
    clock.advance(60 * 60 * 1000);
    const again = await failure('StartImageScan', {
      repositoryName: 'manual',
      imageId: { imageTag: 'v1' },
    });
    expect(again.type).toBe('LimitExceededException');
    clock.advance(24 * 60 * 60 * 1000);
    await expect(
      call('StartImageScan', { repositoryName: 'manual', imageId: { imageTag: 'v1' } }),
    ).resolves.toMatchObject({ imageScanStatus: { status: 'IN_PROGRESS' } });
  });

  it('refuses to scan a multi-platform index but scans its platform images on push', async () => {
    const err = await failure('StartImageScan', {
      repositoryName: 'web',
      imageId: { imageTag: 'v2' },
    });
    expect(err.type).toBe('UnsupportedImageTypeException');
    const index = buildImage({
      layers: [{ size: 2_000, seed: 'web-multi' }],
      platforms: [amd64, arm64],
    });
    const child = await call('DescribeImageScanFindings', {
      repositoryName: 'web',
      imageId: { imageDigest: index.platforms[0]?.digest },
    });
    expect(child.imageScanStatus).toMatchObject({ status: 'COMPLETE' });
    const attestation = await call('DescribeImageScanFindings', {
      repositoryName: 'web',
      imageId: { imageDigest: index.attestations[0]?.digest },
    });
    expect(attestation.imageScanStatus).toMatchObject({ status: 'UNSUPPORTED_IMAGE' });
  });

  it('answers the registry scanning configuration: basic, manual unless a repository scans on push', async () => {
    expect(await call('GetRegistryScanningConfiguration')).toEqual({
      registryId: '123456789012',
      scanningConfiguration: { scanType: 'BASIC', rules: [] },
    });
    expect(
      (
        await failure('DescribeImageScanFindings', {
          repositoryName: 'api',
          imageId: { imageTag: 'v1' },
        })
      ).type,
    ).toBe('ScanNotFoundException');
  });

  it('leaves repositories no enhanced rule names unscanned, and refuses rules of the other scan type', async () => {
    enhancedForApi();
    expect(await call('GetRegistryScanningConfiguration')).toEqual({
      registryId: '123456789012',
      scanningConfiguration: {
        scanType: 'ENHANCED',
        rules: [
          {
            scanFrequency: 'CONTINUOUS_SCAN',
            repositoryFilters: [{ filter: 'ap*', filterType: 'WILDCARD' }],
          },
        ],
      },
    });
    const pushed = await ecr.state.pushImage('batch', { tags: ['enhanced-era'] });
    expect(
      (
        await failure('DescribeImageScanFindings', {
          repositoryName: 'batch',
          imageId: { imageDigest: pushed.digest },
        })
      ).type,
    ).toBe('ScanNotFoundException');
    expect(() =>
      ecr.state.setScanning({
        scanType: 'BASIC',
        rules: [{ scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: '*' }] }],
      }),
    ).toThrow(/BASIC scanning takes SCAN_ON_PUSH or MANUAL/);
  });

  it('reports enhanced scans as ACTIVE with Inspector findings bound to the image', async () => {
    enhancedForApi();
    // Turning enhanced scanning on scans the images it covers: v1's takes a simulated minute.
    clock.advance(60_000);
    const { imageDetails } = await call<{ imageDetails: Detail[] }>('DescribeImages', {
      repositoryName: 'api',
      imageIds: [{ imageTag: 'v1' }],
    });
    const digest = imageDetails[0]?.imageDigest;
    expect(imageDetails[0]?.imageScanStatus).toMatchObject({ status: 'ACTIVE' });
    const res = await call<{
      imageScanStatus: { status: string; description: string };
      imageScanFindings: { enhancedFindings: EnhancedFinding[]; findings?: unknown };
    }>('DescribeImageScanFindings', { repositoryName: 'api', imageId: { imageTag: 'v1' } });
    expect(res.imageScanStatus).toEqual({
      status: 'ACTIVE',
      description: 'Continuous scan is selected for image.',
    });
    expect(res.imageScanFindings.findings).toBeUndefined();
    const findings = res.imageScanFindings.enhancedFindings;
    expect(findings).toHaveLength(loadFindings('enhanced-inspector.json').length);
    expect(findings[0]).toMatchObject({
      awsAccountId: '123456789012',
      findingArn: expect.stringMatching(
        /^arn:aws:inspector2:eu-west-1:123456789012:finding\/[0-9a-f]{32}$/,
      ),
      type: 'PACKAGE_VULNERABILITY',
      resources: [
        {
          id: `arn:aws:ecr:eu-west-1:123456789012:repository/api/${digest}`,
          type: 'AWS_ECR_CONTAINER_IMAGE',
          details: {
            awsEcrContainerImage: { imageHash: digest, imageTags: ['v1'], architecture: 'amd64' },
          },
        },
      ],
    });
    const refused = await failure('StartImageScan', {
      repositoryName: 'api',
      imageId: { imageTag: 'v1' },
    });
    expect(refused.type).toBe('ValidationException');
  });

  it('lets a test change findings at runtime', async () => {
    await ecr.state.setFindings('batch', 'broken', [{ name: 'CVE-2023-4911', severity: 'HIGH' }]);
    await ecr.state.setScan('batch', 'broken', {
      findings: [{ name: 'CVE-2023-4911', severity: 'HIGH' }],
    });
    const res = await call<{ imageScanFindings: { findings: BasicFinding[] } }>(
      'DescribeImageScanFindings',
      { repositoryName: 'batch', imageId: { imageTag: 'broken' } },
    );
    expect(res.imageScanFindings.findings).toEqual([{ name: 'CVE-2023-4911', severity: 'HIGH' }]);
  });

  it('delivers findings after the scan reports ACTIVE, on a timeline, with Inspector statuses', async () => {
    enhancedForApi();
    const [first, ...rest] = loadFindings('enhanced-inspector.json') as EnhancedFinding[];
    const pushed = await ecr.state.pushImage('api', {
      tags: ['timeline'],
      layers: [{ size: 1_000, seed: 'api-timeline' }],
      scan: {
        findings: [first!],
        arrivals: [{ afterSeconds: 45, findings: rest }],
        statuses: { 'CVE-2024-6387': 'SUPPRESSED', 'CVE-2011-3374': 'CLOSED' },
      },
    });
    const read = async () => {
      const res = await call<{
        imageScanStatus: { status: string };
        imageScanFindings: { enhancedFindings: EnhancedFinding[] };
      }>('DescribeImageScanFindings', {
        repositoryName: 'api',
        imageId: { imageDigest: pushed.digest },
      });
      return {
        status: res.imageScanStatus.status,
        found: res.imageScanFindings.enhancedFindings.map(
          (f) => `${f.packageVulnerabilityDetails?.vulnerabilityId} ${f.status}`,
        ),
      };
    };
    expect(await read()).toEqual({ status: 'ACTIVE', found: ['CVE-2023-38545 ACTIVE'] });
    clock.advance(44_000);
    expect((await read()).found).toHaveLength(1);
    clock.advance(1_000);
    const later = await read();
    expect(later.status).toBe('ACTIVE');
    expect(later.found).toHaveLength(1 + rest.length);
    expect(later.found).toContain('CVE-2024-6387 SUPPRESSED');
    expect(later.found).toContain('CVE-2011-3374 CLOSED');
  });

  it('rejects operations it does not simulate', async () => {
    const err = await failure('PutImage', {});
    expect(err.type).toBe('UnknownOperationException');
  });
});

describe('ECR simulator behind the real ECRClient', () => {
  let server: http.Server;
  let client: ECRClient;

  beforeAll(async () => {
    server = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const target = String(req.headers['x-amz-target'] ?? '');
      const [prefix, op] = target.split('.');
      try {
        if (prefix !== ecr.targetPrefix) throw new AwsError('UnknownOperationException', target);
        const params = JSON.parse(Buffer.concat(chunks).toString() || '{}');
        const body = await ecr.handle(op ?? '', params);
        res
          .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify(body));
      } catch (e) {
        const err = e as AwsError;
        res
          .writeHead(err.status ?? 500, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify({ __type: err.type, message: err.message }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new ECRClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('parses the token expiry and push times into Dates', async () => {
    const token = await client.send(new GetAuthorizationTokenCommand({}));
    expect(token.authorizationData?.[0]?.expiresAt).toBeInstanceOf(Date);
    const images = await client.send(
      new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: 'v1' }] }),
    );
    expect(images.imageDetails?.[0]?.imagePushedAt?.getTime()).toBe(Date.UTC(2025, 0, 6, 9));
    expect(
      images.imageDetails?.[0]?.imageScanFindingsSummary?.findingSeverityCounts?.CRITICAL,
    ).toBe(2);
  });

  it('raises the SDK exception classes for missing repositories, images and scans', async () => {
    await expect(
      client.send(new DescribeRepositoriesCommand({ repositoryNames: ['ghost'] })),
    ).rejects.toBeInstanceOf(RepositoryNotFoundException);
    await expect(
      client.send(
        new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: 'nope' }] }),
      ),
    ).rejects.toBeInstanceOf(ImageNotFoundException);
    const index = buildImage({
      layers: [{ size: 2_000, seed: 'web-multi' }],
      platforms: [amd64, arm64],
    });
    await expect(
      client.send(
        new DescribeImageScanFindingsCommand({
          repositoryName: 'web',
          imageId: { imageDigest: index.digest },
        }),
      ),
    ).rejects.toBeInstanceOf(ScanNotFoundException);
  });

  it('answers GetRegistryScanningConfiguration with the scan type and rules as the SDK models them', async () => {
    ecr.state.setScanning({
      scanType: 'BASIC',
      rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'prod-*' }] }],
    });
    onTestFinished(() => ecr.state.setScanning({ scanType: 'BASIC' }));
    const out = await client.send(new GetRegistryScanningConfigurationCommand({}));
    expect(out.registryId).toBe('123456789012');
    expect(out.scanningConfiguration).toEqual({
      scanType: 'BASIC',
      rules: [
        {
          scanFrequency: 'SCAN_ON_PUSH',
          repositoryFilters: [{ filter: 'prod-*', filterType: 'WILDCARD' }],
        },
      ],
    });
  });

  it('lets the SDK paginator walk 1,200 enhanced findings', async () => {
    enhancedForApi();
    const ids: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeImageScanFindings(
      { client, pageSize: 1_000 },
      { repositoryName: 'api', imageId: { imageTag: 'big' } },
    )) {
      pages++;
      for (const f of page.imageScanFindings?.enhancedFindings ?? []) {
        expect(f.firstObservedAt).toBeInstanceOf(Date);
        ids.push(f.packageVulnerabilityDetails?.vulnerabilityId ?? '');
      }
    }
    expect(pages).toBe(2);
    expect(new Set(ids).size).toBe(1_200);
  });

  it('returns the pushed manifest bytes through BatchGetImage', async () => {
    const res = await client.send(
      new BatchGetImageCommand({
        repositoryName: 'web',
        imageIds: [{ imageTag: 'v1' }, { imageTag: 'x' }],
      }),
    );
    const built = buildImage({
      layers: [
        { size: 3_000, seed: 'web-os' },
        { size: 500, seed: 'web-app-1' },
      ],
    });
    expect(res.images?.[0]?.imageManifest).toBe(built.bytes.toString());
    expect(res.failures?.[0]?.failureCode).toBe('ImageNotFound');
  });
});
