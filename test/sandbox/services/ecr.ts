// Simulated Amazon ECR (AWS JSON 1.1, `AmazonEC2ContainerRegistry_V20150921`). Manifests and tags
// live in the sandbox's real registry, which is the source of truth, so images pushed by a build
// step show up here too; this module keeps only what ECR adds beside them: push times and scans.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BuiltImage,
  buildImage,
  type ImageSpec,
  type LayerSpec,
  MANIFEST_ACCEPT,
  MEDIA_TYPES,
  type Platform,
  pushImage,
} from '../images.ts';
import type { Registry } from '../registry.ts';
import { type AccountContext, AwsError, type AwsServiceModule, type CallRecord } from '../types.ts';

export const FINDINGS_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'findings',
);

export type ScanningType = 'BASIC' | 'ENHANCED';

export type ScanStatus =
  | 'IN_PROGRESS'
  | 'COMPLETE'
  | 'FAILED'
  | 'UNSUPPORTED_IMAGE'
  | 'ACTIVE'
  | 'PENDING'
  | 'SCAN_ELIGIBILITY_EXPIRED'
  | 'FINDINGS_UNAVAILABLE'
  | 'LIMIT_EXCEEDED';

/** A basic-scan finding, as `imageScanFindings.findings[]` carries it. */
export interface BasicFinding {
  name: string;
  description?: string;
  uri?: string;
  severity: 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL' | 'UNDEFINED';
  attributes?: { key: string; value?: string }[];
}

/**
 * An enhanced (Inspector) finding, as `imageScanFindings.enhancedFindings[]` carries it on the
 * wire (timestamps in epoch seconds). Image-specific parts (`awsAccountId`, `findingArn`,
 * `resources`) may be left out of fixtures: the simulator fills them for the scanned image.
 */
export interface EnhancedFinding {
  awsAccountId?: string;
  description?: string;
  findingArn?: string;
  firstObservedAt?: number;
  lastObservedAt?: number;
  packageVulnerabilityDetails?: {
    cvss?: { baseScore?: number; scoringVector?: string; source?: string; version?: string }[];
    referenceUrls?: string[];
    relatedVulnerabilities?: string[];
    source?: string;
    sourceUrl?: string;
    vendorCreatedAt?: number;
    vendorSeverity?: string;
    vendorUpdatedAt?: number;
    vulnerabilityId?: string;
    vulnerablePackages?: {
      arch?: string;
      epoch?: number;
      filePath?: string;
      name?: string;
      packageManager?: string;
      release?: string;
      sourceLayerHash?: string;
      version?: string;
      fixedInVersion?: string;
    }[];
  };
  remediation?: { recommendation?: { url?: string; text?: string } };
  resources?: {
    details?: { awsEcrContainerImage?: Record<string, unknown> };
    id?: string;
    tags?: Record<string, string>;
    type?: string;
  }[];
  score?: number;
  scoreDetails?: {
    cvss?: {
      adjustments?: { metric?: string; reason?: string }[];
      score?: number;
      scoreSource?: string;
      scoringVector?: string;
      version?: string;
    };
  };
  severity?: string;
  status?: string;
  title?: string;
  type?: string;
  updatedAt?: number;
  fixAvailable?: string;
  exploitAvailable?: string;
}

export type Finding = BasicFinding | EnhancedFinding;

/** Amazon Inspector's status of an enhanced finding. */
export type FindingStatus = 'ACTIVE' | 'SUPPRESSED' | 'CLOSED';

/**
 * Findings that show up after the scan already reports COMPLETE or ACTIVE, as Amazon Inspector's
 * do: ECR answers "done" first, with none or a few findings, and the rest a minute later.
 */
export interface FindingArrival {
  /** Simulated seconds after the scan finished. */
  afterSeconds: number;
  findingsFile?: string;
  findings?: Finding[];
}

/** What a scan of an image finds, and how long it takes. */
export interface ScanSpec {
  /** A JSON fixture: absolute, or relative to `test/sandbox/fixtures/findings/`. */
  findingsFile?: string;
  findings?: Finding[];
  /** Findings added to the scan's answers once it has been finished for a while. */
  arrivals?: FindingArrival[];
  /**
   * Inspector statuses by vulnerability id, set on enhanced findings (a suppression rule that
   * matches them, or a finding Inspector closed); the others keep their own, ACTIVE by default.
   */
  statuses?: Record<string, FindingStatus>;
  /** Status once the scan is no longer in progress; default COMPLETE (basic) or ACTIVE (enhanced). */
  status?: ScanStatus;
  description?: string;
  /** Simulated seconds the scan stays IN_PROGRESS after it starts. */
  inProgressSeconds?: number;
}

export interface EcrImageScenario {
  tags?: string[];
  /** Shorthand for `tags: [tag]`. */
  tag?: string;
  /** Default: two small layers seeded from the repository and first tag. */
  layers?: LayerSpec[];
  platforms?: Platform[];
  format?: 'oci' | 'docker';
  /** Config `config` section (Env, Labels, ...). */
  config?: Record<string, unknown>;
  scan?: ScanSpec;
}

export interface EcrRepositoryScenario {
  name: string;
  /**
   * The repository's own scan-on-push setting, which only basic scanning honours; the scan type
   * is the registry's (EcrScenario.scanning).
   */
  scanOnPush?: boolean;
  images?: EcrImageScenario[];
  /** What scans of images without their own `scan` find (images pushed at runtime). */
  defaultScan?: ScanSpec;
}

export type ScanFrequency = 'SCAN_ON_PUSH' | 'CONTINUOUS_SCAN' | 'MANUAL';

/** One rule of the registry's scanning configuration: a frequency for matching repositories. */
export interface ScanningRule {
  scanFrequency: ScanFrequency;
  /** `*` matches any characters, as ECR's WILDCARD filters do. */
  repositoryFilters: { filter: string; filterType?: 'WILDCARD' }[];
}

/**
 * The registry's scanning configuration, as PutRegistryScanningConfiguration sets it: one scan
 * type for every repository, and rules choosing how often each is scanned. Under ENHANCED, a
 * repository no rule matches is not scanned at all.
 */
export interface RegistryScanning {
  /** Default BASIC. */
  scanType?: ScanningType;
  /** Default: none for BASIC (scans are started by hand or by a repository's scanOnPush); for ENHANCED, every repository scanned continuously. */
  rules?: ScanningRule[];
}

export interface EcrScenario {
  scanning?: RegistryScanning;
  repositories?: EcrRepositoryScenario[];
}

export interface EcrContext extends AccountContext {
  registry: Registry;
  /** Part of the sandbox contract; the server already records every ECR call, so this module adds none. */
  record?: (c: CallRecord) => void;
}

interface RepositoryState {
  name: string;
  scanOnPush: boolean;
  createdAt: number;
  defaultScan?: ScanSpec;
}

interface ImageRecord {
  pushedAt: number;
  scanStartedAt?: number;
}

interface Manifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  json: {
    mediaType?: string;
    config?: { mediaType: string; size: number; digest: string };
    layers?: { mediaType: string; size: number }[];
    manifests?: {
      digest: string;
      mediaType: string;
      platform?: Platform;
      annotations?: Record<string, string>;
    }[];
  };
}

interface ImageView {
  digest: string;
  tags: string[];
  manifest: Manifest;
  record: ImageRecord;
}

export interface EcrState {
  readonly repositories: ReadonlyMap<string, RepositoryState>;
  createRepository(spec: EcrRepositoryScenario): RepositoryState;
  /** Builds and pushes an image as `docker push` would, then records the push. */
  pushImage(repository: string, image: EcrImageScenario): Promise<BuiltImage>;
  /** Sets what scans of an image (a tag or digest; an index applies to its platforms) find. */
  setScan(repository: string, ref: string, scan: ScanSpec): Promise<void>;
  /** Replaces the findings of an image's scan, keeping its status and timing. */
  setFindings(repository: string, ref: string, findings: Finding[]): Promise<void>;
  /**
   * Replaces the registry's scanning configuration, as PutRegistryScanningConfiguration does.
   * Turning enhanced scanning on starts a scan of every image it now covers that has none.
   */
  setScanning(scanning: RegistryScanning): void;
}

export interface EcrModule extends AwsServiceModule {
  readonly name: 'ecr';
  readonly state: EcrState;
  /** Pushes the scenario's images into the registry. */
  setup(): Promise<void>;
}

const IMAGE_CONFIG_TYPES = new Set<string>([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);
const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);
const DAY_MS = 24 * 60 * 60 * 1000;

const FREQUENCIES: Record<ScanningType, ScanFrequency[]> = {
  BASIC: ['SCAN_ON_PUSH', 'MANUAL'],
  ENHANCED: ['SCAN_ON_PUSH', 'CONTINUOUS_SCAN'],
};

/** A registry scanning configuration with its defaults, checked as ECR checks it. */
export function registryScanning(spec: RegistryScanning | undefined): Required<RegistryScanning> {
  const scanType = spec?.scanType ?? 'BASIC';
  if (scanType !== 'BASIC' && scanType !== 'ENHANCED') {
    throw new Error(`ecr.scanning.scanType: '${String(scanType)}' is not BASIC or ENHANCED`);
  }
  const rules =
    spec?.rules ??
    (scanType === 'ENHANCED'
      ? [{ scanFrequency: 'CONTINUOUS_SCAN' as const, repositoryFilters: [{ filter: '*' }] }]
      : []);
  for (const rule of rules) {
    if (!FREQUENCIES[scanType].includes(rule.scanFrequency)) {
      throw new Error(
        `ecr.scanning.rules: ${scanType} scanning takes ${FREQUENCIES[scanType].join(' or ')}, not '${rule.scanFrequency}'`,
      );
    }
    if (!Array.isArray(rule.repositoryFilters) || rule.repositoryFilters.length === 0) {
      throw new Error('ecr.scanning.rules: every rule needs repositoryFilters');
    }
  }
  return {
    scanType,
    rules: rules.map((r) => ({
      scanFrequency: r.scanFrequency,
      repositoryFilters: r.repositoryFilters.map((f) => ({
        filter: f.filter,
        filterType: f.filterType ?? 'WILDCARD',
      })),
    })),
  };
}

function wildcard(filter: string): RegExp {
  const escaped = filter.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** Reads a findings fixture: a bare array, `imageScanFindings`, or a whole response. */
export function loadFindings(file: string): Finding[] {
  const full = path.isAbsolute(file) ? file : path.join(FINDINGS_DIR, file);
  const data = JSON.parse(readFileSync(full, 'utf8')) as unknown;
  if (Array.isArray(data)) return data as Finding[];
  const obj = data as Record<string, unknown>;
  const body = (obj.imageScanFindings ?? obj) as Record<string, unknown>;
  const list = body.enhancedFindings ?? body.findings;
  if (!Array.isArray(list)) {
    throw new Error(`${full}: expected findings[] or enhancedFindings[]`);
  }
  return list as Finding[];
}

function isEnhanced(f: Finding): f is EnhancedFinding {
  return 'packageVulnerabilityDetails' in f || 'findingArn' in f || 'title' in f;
}

function seconds(ms: number): number {
  return ms / 1000;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function describeId(id: { imageDigest?: string; imageTag?: string }): string {
  return `{imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'}`;
}

/** Opaque pagination tokens, so clients cannot rely on their shape. */
function encodeToken(offset: number, scope: string): string {
  return Buffer.from(JSON.stringify({ o: offset, s: scope })).toString('base64');
}

function decodeToken(token: unknown, scope: string): number {
  if (token === undefined || token === null) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(String(token), 'base64').toString()) as {
      o: number;
      s: string;
    };
    if (parsed.s === scope && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // reported below
  }
  throw new AwsError(
    'InvalidParameterException',
    "Invalid parameter at 'nextToken': the token is invalid or expired",
  );
}

function maxResultsOf(value: unknown, fallback: number, limit: number): number {
  if (value === undefined || value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > limit) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and ${limit}'`,
    );
  }
  return n;
}

function page<T>(
  items: T[],
  params: Record<string, unknown>,
  scope: string,
  fallback: number,
  limit: number,
) {
  const max = maxResultsOf(params.maxResults, fallback, limit);
  const start = decodeToken(params.nextToken, scope);
  const slice = items.slice(start, start + max);
  const next = start + max < items.length ? encodeToken(start + max, scope) : undefined;
  return { slice, next };
}

export function createEcr(scenario: EcrScenario | undefined, ctx: EcrContext): EcrModule {
  const { registry, clock, accountId, region } = ctx;
  const repositories = new Map<string, RepositoryState>();
  /** `${repository}@${digest}` → push time and scan start. */
  const images = new Map<string, ImageRecord>();
  /** `${repository}@${digest}` → what a scan of that image finds. */
  const scans = new Map<string, ScanSpec>();
  const manifestCache = new Map<string, Manifest>();
  const upstreamAuth = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;

  let scanning = registryScanning(scenario?.scanning);

  /**
   * How the registry's configuration scans one repository (undefined: not at all). Where rules
   * overlap, the more frequent scan wins, as in ECR.
   */
  function scanningOf(repo: RepositoryState): { onPush: boolean; continuous: boolean } | undefined {
    const frequencies = scanning.rules
      .filter((r) => r.repositoryFilters.some((f) => wildcard(f.filter).test(repo.name)))
      .map((r) => r.scanFrequency);
    const continuous = frequencies.includes('CONTINUOUS_SCAN');
    const onPush = continuous || frequencies.includes('SCAN_ON_PUSH');
    if (scanning.scanType === 'ENHANCED') return onPush ? { onPush, continuous } : undefined;
    return { onPush: onPush || repo.scanOnPush, continuous: false };
  }

  function createRepository(spec: EcrRepositoryScenario): RepositoryState {
    const state: RepositoryState = {
      name: spec.name,
      scanOnPush: spec.scanOnPush ?? false,
      createdAt: clock.now(),
    };
    if (spec.defaultScan) state.defaultScan = spec.defaultScan;
    repositories.set(spec.name, state);
    return state;
  }

  function repositoryOrThrow(name: unknown): RepositoryState {
    const repo = typeof name === 'string' ? repositories.get(name) : undefined;
    if (!repo) {
      throw new AwsError(
        'RepositoryNotFoundException',
        `The repository with name '${String(name)}' does not exist in the registry with id '${accountId}'`,
      );
    }
    return repo;
  }

  function notePush(repository: string, digest: string): void {
    const key = `${repository}@${digest}`;
    if (images.has(key)) return;
    const repo = repositories.get(repository);
    const now = clock.now();
    const record: ImageRecord = { pushedAt: now };
    if (repo && scanningOf(repo)?.onPush) record.scanStartedAt = now;
    images.set(key, record);
  }

  registry.onManifestPush((push) => {
    if (push.digest) notePush(push.repository, push.digest);
  });

  async function registryFetch(
    repo: string,
    suffix: string,
    method: 'GET' | 'HEAD',
  ): Promise<Response> {
    return fetch(`http://${registry.upstream}/v2/${repo}/${suffix}`, {
      method,
      headers: { authorization: upstreamAuth, accept: MANIFEST_ACCEPT },
    });
  }

  async function resolveTag(repo: string, tag: string): Promise<string | undefined> {
    const res = await registryFetch(repo, `manifests/${encodeURIComponent(tag)}`, 'HEAD');
    await res.arrayBuffer();
    return res.status === 200 ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
  }

  async function manifest(repo: string, digest: string): Promise<Manifest | undefined> {
    const key = `${repo}@${digest}`;
    const cached = manifestCache.get(key);
    if (cached) return cached;
    const res = await registryFetch(repo, `manifests/${digest}`, 'GET');
    const bytes = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) return undefined;
    const json = JSON.parse(bytes.toString()) as Manifest['json'];
    const mediaType = (res.headers.get('content-type') ?? json.mediaType ?? '').split(
      ';',
    )[0] as string;
    const m: Manifest = { digest, mediaType, bytes, json };
    manifestCache.set(key, m);
    return m;
  }

  async function platformOf(repo: string, m: Manifest): Promise<Platform | undefined> {
    const digest = m.json.config?.digest;
    if (!digest) return undefined;
    const res = await registryFetch(repo, `blobs/${digest}`, 'GET');
    if (res.status !== 200) {
      await res.arrayBuffer();
      return undefined;
    }
    const config = (await res.json()) as Partial<Platform>;
    return config.os && config.architecture
      ? { os: config.os, architecture: config.architecture }
      : undefined;
  }

  async function tagsOf(repo: string): Promise<Map<string, string[]>> {
    const res = await registryFetch(repo, 'tags/list', 'GET');
    const byDigest = new Map<string, string[]>();
    if (res.status !== 200) {
      await res.arrayBuffer();
      return byDigest;
    }
    const body = (await res.json()) as { tags?: string[] | null };
    for (const tag of [...(body.tags ?? [])].sort()) {
      const digest = await resolveTag(repo, tag);
      if (!digest) continue;
      byDigest.set(digest, [...(byDigest.get(digest) ?? []), tag]);
    }
    return byDigest;
  }

  function recordOf(repo: string, digest: string): ImageRecord {
    const key = `${repo}@${digest}`;
    let record = images.get(key);
    if (!record) {
      // Pushed behind the proxy's back (e.g. straight to the registry): first seen now.
      notePush(repo, digest);
      record = images.get(key) as ImageRecord;
    }
    return record;
  }

  async function listImages(repo: string): Promise<ImageView[]> {
    const tags = await tagsOf(repo);
    const digests = new Set(tags.keys());
    const prefix = `${repo}@`;
    for (const key of images.keys())
      if (key.startsWith(prefix)) digests.add(key.slice(prefix.length));
    const views: ImageView[] = [];
    for (const digest of digests) {
      const m = await manifest(repo, digest);
      if (!m) continue;
      views.push({
        digest,
        tags: tags.get(digest) ?? [],
        manifest: m,
        record: recordOf(repo, digest),
      });
    }
    views.sort((a, b) => a.record.pushedAt - b.record.pushedAt || a.digest.localeCompare(b.digest));
    return views;
  }

  /** Resolves an ImageIdentifier to a pushed image, or undefined when it does not exist. */
  async function findImage(
    repo: string,
    id: { imageDigest?: string; imageTag?: string },
  ): Promise<ImageView | undefined> {
    let digest = id.imageDigest;
    if (id.imageTag) {
      const tagged = await resolveTag(repo, id.imageTag);
      if (!tagged || (digest && digest !== tagged)) return undefined;
      digest = tagged;
    }
    if (!digest) return undefined;
    const m = await manifest(repo, digest);
    if (!m) return undefined;
    const tags = (await tagsOf(repo)).get(digest) ?? [];
    return { digest, tags, manifest: m, record: recordOf(repo, digest) };
  }

  function imageNotFound(repo: string, id: { imageDigest?: string; imageTag?: string }): AwsError {
    return new AwsError(
      'ImageNotFoundException',
      `The image with imageId ${describeId(id)} does not exist within the repository with name '${repo}' in the registry with id '${accountId}'`,
    );
  }

  async function imageOrThrow(repo: string, idParam: unknown): Promise<ImageView> {
    const id = (idParam ?? {}) as { imageDigest?: string; imageTag?: string };
    if (!id.imageDigest && !id.imageTag) {
      throw new AwsError(
        'InvalidParameterException',
        'Invalid parameter: imageId must contain an imageDigest or an imageTag',
      );
    }
    const view = await findImage(repo, id);
    if (!view) throw imageNotFound(repo, id);
    return view;
  }

  async function sizeOf(repo: string, m: Manifest): Promise<number> {
    if (INDEX_TYPES.has(m.mediaType)) {
      let total = 0;
      for (const child of m.json.manifests ?? []) {
        if (child.platform?.os === 'unknown') continue;
        const cm = await manifest(repo, child.digest);
        if (cm) total += await sizeOf(repo, cm);
      }
      return total;
    }
    return (m.json.config?.size ?? 0) + (m.json.layers ?? []).reduce((s, l) => s + l.size, 0);
  }

  function scanKind(m: Manifest): 'image' | 'index' | 'unsupported' {
    if (INDEX_TYPES.has(m.mediaType)) return 'index';
    const layers = m.json.layers ?? [];
    const tarLayers = layers.filter((l) => /tar/.test(l.mediaType));
    const configOk = IMAGE_CONFIG_TYPES.has(m.json.config?.mediaType ?? '');
    return configOk && tarLayers.length > 0 ? 'image' : 'unsupported';
  }

  function scanSpecOf(repo: RepositoryState, digest: string): ScanSpec {
    return scans.get(`${repo.name}@${digest}`) ?? repo.defaultScan ?? {};
  }

  function listed(source: { findings?: Finding[]; findingsFile?: string }): Finding[] {
    if (source.findings) return source.findings;
    if (source.findingsFile) return loadFindings(source.findingsFile);
    return [];
  }

  /** What the scan reports now: its findings, those arrived since it finished, with statuses. */
  function findingsOf(spec: ScanSpec, doneAt: number): Finding[] {
    const arrived = (spec.arrivals ?? [])
      .filter((a) => clock.now() >= doneAt + a.afterSeconds * 1000)
      .flatMap(listed);
    const all = [...listed(spec), ...arrived];
    const statuses = spec.statuses;
    if (!statuses) return all;
    return all.map((f) => {
      if (!isEnhanced(f)) return f;
      const status = statuses[f.packageVulnerabilityDetails?.vulnerabilityId ?? f.title ?? ''];
      return status ? { ...f, status } : f;
    });
  }

  interface ScanView {
    status: ScanStatus;
    description: string;
    completedAt?: number;
    findings: Finding[];
  }

  const DESCRIPTIONS: Record<ScanStatus, string> = {
    IN_PROGRESS: 'Scan in progress.',
    COMPLETE: 'The scan was completed successfully.',
    ACTIVE: 'Continuous scan is selected for image.',
    FAILED: 'The scan failed: unable to retrieve the image manifest.',
    UNSUPPORTED_IMAGE: 'The operating system and/or package manager are not supported.',
    PENDING: 'Scan is pending.',
    SCAN_ELIGIBILITY_EXPIRED: 'The image is no longer eligible for continuous scanning.',
    FINDINGS_UNAVAILABLE: 'Findings are unavailable for this image.',
    LIMIT_EXCEEDED: 'The scan quota for this image has been exceeded.',
  };

  /** The scan as ECR reports it now, or undefined when the image was never scanned. */
  function scanOf(repo: RepositoryState, view: ImageView): ScanView | undefined {
    const started = view.record.scanStartedAt;
    if (started === undefined) return undefined;
    const kind = scanKind(view.manifest);
    if (kind === 'index') return undefined;
    if (kind === 'unsupported') {
      return {
        status: 'UNSUPPORTED_IMAGE',
        description: DESCRIPTIONS.UNSUPPORTED_IMAGE,
        findings: [],
      };
    }
    const spec = scanSpecOf(repo, view.digest);
    const doneAt = started + (spec.inProgressSeconds ?? 0) * 1000;
    if (clock.now() < doneAt) {
      return { status: 'IN_PROGRESS', description: DESCRIPTIONS.IN_PROGRESS, findings: [] };
    }
    const status = spec.status ?? (scanningOf(repo)?.continuous ? 'ACTIVE' : 'COMPLETE');
    const description = spec.description ?? DESCRIPTIONS[status];
    if (status !== 'COMPLETE' && status !== 'ACTIVE') return { status, description, findings: [] };
    return { status, description, completedAt: doneAt, findings: findingsOf(spec, doneAt) };
  }

  function severityCounts(findings: Finding[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const f of findings) {
      const sev = f.severity ?? 'UNDEFINED';
      counts[sev] = (counts[sev] ?? 0) + 1;
    }
    return counts;
  }

  /** Fills the image-specific parts of an enhanced finding for the scanned image. */
  function bindEnhanced(
    f: EnhancedFinding,
    repo: string,
    view: ImageView,
    scan: ScanView,
    platform: Platform | undefined,
  ): EnhancedFinding {
    const vulnId = f.packageVulnerabilityDetails?.vulnerabilityId ?? f.title ?? '';
    const pkgs = (f.packageVulnerabilityDetails?.vulnerablePackages ?? [])
      .map((p) => p.name)
      .join(',');
    const arnId = createHash('sha256')
      .update(`${repo}|${view.digest}|${vulnId}|${pkgs}`)
      .digest('hex')
      .slice(0, 32);
    const observed = seconds(scan.completedAt ?? clock.now());
    return {
      awsAccountId: accountId,
      findingArn: `arn:aws:inspector2:${region}:${accountId}:finding/${arnId}`,
      firstObservedAt: observed,
      lastObservedAt: observed,
      updatedAt: observed,
      ...f,
      resources: f.resources ?? [
        {
          details: {
            awsEcrContainerImage: {
              ...(platform ? { architecture: platform.architecture } : {}),
              imageHash: view.digest,
              imageTags: view.tags,
              pushedAt: seconds(view.record.pushedAt),
              registry: accountId,
              repositoryName: repo,
            },
          },
          id: `arn:aws:ecr:${region}:${accountId}:repository/${repo}/${view.digest}`,
          type: 'AWS_ECR_CONTAINER_IMAGE',
        },
      ],
    };
  }

  function repositoryView(repo: RepositoryState) {
    return {
      repositoryArn: `arn:aws:ecr:${region}:${accountId}:repository/${repo.name}`,
      registryId: accountId,
      repositoryName: repo.name,
      repositoryUri: `${registry.host}/${repo.name}`,
      createdAt: seconds(repo.createdAt),
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: repo.scanOnPush },
      encryptionConfiguration: { encryptionType: 'AES256' },
    };
  }

  async function imageDetail(repo: RepositoryState, view: ImageView) {
    const detail: Record<string, unknown> = {
      registryId: accountId,
      repositoryName: repo.name,
      imageDigest: view.digest,
      imageSizeInBytes: await sizeOf(repo.name, view.manifest),
      imagePushedAt: seconds(view.record.pushedAt),
      imageManifestMediaType: view.manifest.mediaType,
    };
    if (view.tags.length > 0) detail.imageTags = view.tags;
    const configType = view.manifest.json.config?.mediaType;
    if (configType) detail.artifactMediaType = configType;
    const scan = scanOf(repo, view);
    if (scan) {
      detail.imageScanStatus = { status: scan.status, description: scan.description };
      if (scan.completedAt !== undefined) {
        detail.imageScanFindingsSummary = {
          imageScanCompletedAt: seconds(scan.completedAt),
          vulnerabilitySourceUpdatedAt: seconds(scan.completedAt),
          findingSeverityCounts: severityCounts(scan.findings),
        };
      }
    }
    return detail;
  }

  async function describeImages(params: Record<string, unknown>) {
    const repo = repositoryOrThrow(params.repositoryName);
    const ids = params.imageIds as { imageDigest?: string; imageTag?: string }[] | undefined;
    if (ids && ids.length > 0) {
      if (params.maxResults !== undefined || params.nextToken !== undefined) {
        throw new AwsError(
          'InvalidParameterException',
          'Invalid parameter: maxResults and nextToken cannot be used together with imageIds',
        );
      }
      const seen = new Set<string>();
      const details = [];
      for (const id of ids) {
        const view = await imageOrThrow(repo.name, id);
        if (seen.has(view.digest)) continue;
        seen.add(view.digest);
        details.push(await imageDetail(repo, view));
      }
      return { imageDetails: details };
    }
    const tagStatus =
      str((params.filter as { tagStatus?: string } | undefined)?.tagStatus) ?? 'ANY';
    const all = (await listImages(repo.name)).filter(
      (v) => tagStatus === 'ANY' || (tagStatus === 'TAGGED') === v.tags.length > 0,
    );
    const { slice, next } = page(all, params, `images:${repo.name}:${tagStatus}`, 100, 1000);
    const imageDetails = [];
    for (const view of slice) imageDetails.push(await imageDetail(repo, view));
    return next ? { imageDetails, nextToken: next } : { imageDetails };
  }

  async function batchGetImage(params: Record<string, unknown>) {
    const repo = repositoryOrThrow(params.repositoryName);
    const ids = (params.imageIds ?? []) as { imageDigest?: string; imageTag?: string }[];
    const accepted = params.acceptedMediaTypes as string[] | undefined;
    const found: Record<string, unknown>[] = [];
    const failures: Record<string, unknown>[] = [];
    for (const id of ids) {
      if (!id.imageDigest && !id.imageTag) {
        failures.push({
          imageId: id,
          failureCode: 'MissingDigestAndTag',
          failureReason: 'Invalid request: No image digest or tag specified',
        });
        continue;
      }
      if (id.imageTag && id.imageDigest) {
        const tagged = await resolveTag(repo.name, id.imageTag);
        if (tagged && tagged !== id.imageDigest) {
          failures.push({
            imageId: id,
            failureCode: 'ImageTagDoesNotMatchDigest',
            failureReason: 'Invalid request: Image tag does not match digest',
          });
          continue;
        }
      }
      const view = await findImage(repo.name, id);
      if (!view) {
        failures.push({
          imageId: id,
          failureCode: 'ImageNotFound',
          failureReason: 'Requested image not found',
        });
        continue;
      }
      if (accepted && accepted.length > 0 && !accepted.includes(view.manifest.mediaType)) {
        failures.push({
          imageId: id,
          failureCode: 'UnsupportedImageType',
          failureReason: `The image manifest media type ${view.manifest.mediaType} is not in acceptedMediaTypes`,
        });
        continue;
      }
      const imageId: Record<string, string> = { imageDigest: view.digest };
      if (id.imageTag) imageId.imageTag = id.imageTag;
      found.push({
        registryId: accountId,
        repositoryName: repo.name,
        imageId,
        imageManifest: view.manifest.bytes.toString('utf8'),
        imageManifestMediaType: view.manifest.mediaType,
      });
    }
    return { images: found, failures };
  }

  async function describeImageScanFindings(params: Record<string, unknown>) {
    const repo = repositoryOrThrow(params.repositoryName);
    const requested = (params.imageId ?? {}) as { imageDigest?: string; imageTag?: string };
    const view = await imageOrThrow(repo.name, requested);
    const scan = scanOf(repo, view);
    const imageId: Record<string, string> = { imageDigest: view.digest };
    if (requested.imageTag) imageId.imageTag = requested.imageTag;
    if (!scan) {
      throw new AwsError(
        'ScanNotFoundException',
        `Image scan does not exist for the image with '${describeId(imageId)}' in the repository with name '${repo.name}' in the registry with id '${accountId}'`,
      );
    }
    const response: Record<string, unknown> = {
      registryId: accountId,
      repositoryName: repo.name,
      imageId,
      imageScanStatus: { status: scan.status, description: scan.description },
    };
    if (scan.completedAt === undefined) return response;
    const { slice, next } = page(
      scan.findings,
      params,
      `findings:${repo.name}@${view.digest}`,
      100,
      1000,
    );
    const findings: Record<string, unknown> = {
      imageScanCompletedAt: seconds(scan.completedAt),
      vulnerabilitySourceUpdatedAt: seconds(scan.completedAt),
      findingSeverityCounts: severityCounts(scan.findings),
    };
    if (scanning.scanType === 'ENHANCED') {
      const platform = await platformOf(repo.name, view.manifest);
      findings.enhancedFindings = slice.map((f) =>
        isEnhanced(f) ? bindEnhanced(f, repo.name, view, scan, platform) : f,
      );
    } else {
      findings.findings = slice;
    }
    response.imageScanFindings = findings;
    if (next) response.nextToken = next;
    return response;
  }

  async function startImageScan(params: Record<string, unknown>) {
    const repo = repositoryOrThrow(params.repositoryName);
    const requested = (params.imageId ?? {}) as { imageDigest?: string; imageTag?: string };
    const view = await imageOrThrow(repo.name, requested);
    if (scanning.scanType === 'ENHANCED') {
      // What ECR answers when the registry scans continuously (enhanced) instead of on demand.
      throw new AwsError('ValidationException', 'This feature is disabled');
    }
    if (scanKind(view.manifest) !== 'image') {
      throw new AwsError(
        'UnsupportedImageTypeException',
        'The image is of a type that cannot be scanned.',
      );
    }
    const now = clock.now();
    const last = view.record.scanStartedAt;
    if (last !== undefined && now - last < DAY_MS) {
      throw new AwsError(
        'LimitExceededException',
        'The scan quota per image has been exceeded. Wait and try again.',
      );
    }
    view.record.scanStartedAt = now;
    const imageId: Record<string, string> = { imageDigest: view.digest };
    if (requested.imageTag) imageId.imageTag = requested.imageTag;
    return {
      registryId: accountId,
      repositoryName: repo.name,
      imageId,
      imageScanStatus: { status: 'IN_PROGRESS', description: DESCRIPTIONS.IN_PROGRESS },
    };
  }

  function getAuthorizationToken() {
    const expiresAt = clock.now() + 12 * 60 * 60 * 1000;
    return {
      authorizationData: [
        {
          authorizationToken: Buffer.from(`${registry.username}:${registry.password}`).toString(
            'base64',
          ),
          expiresAt: seconds(expiresAt),
          proxyEndpoint: `http://${registry.host}`,
        },
      ],
    };
  }

  function describeRepositories(params: Record<string, unknown>) {
    const names = params.repositoryNames as string[] | undefined;
    if (names && names.length > 0) {
      if (params.maxResults !== undefined || params.nextToken !== undefined) {
        throw new AwsError(
          'InvalidParameterException',
          'Invalid parameter: maxResults and nextToken cannot be used together with repositoryNames',
        );
      }
      return { repositories: names.map((n) => repositoryView(repositoryOrThrow(n))) };
    }
    const all = [...repositories.values()].sort((a, b) => a.name.localeCompare(b.name));
    const { slice, next } = page(all, params, 'repositories', 100, 1000);
    const repositoriesOut = slice.map(repositoryView);
    return next
      ? { repositories: repositoriesOut, nextToken: next }
      : { repositories: repositoriesOut };
  }

  async function scanTargets(repository: string, ref: string): Promise<string[]> {
    const repo = repositoryOrThrow(repository);
    const id = ref.startsWith('sha256:') ? { imageDigest: ref } : { imageTag: ref };
    const view = await findImage(repo.name, id);
    if (!view) throw imageNotFound(repo.name, id);
    const targets = [view.digest];
    if (scanKind(view.manifest) === 'index') {
      for (const child of view.manifest.json.manifests ?? []) {
        if (child.platform?.os !== 'unknown') targets.push(child.digest);
      }
    }
    return targets;
  }

  async function pushScenarioImage(
    repository: string,
    spec: EcrImageScenario,
  ): Promise<BuiltImage> {
    const tags = [...(spec.tags ?? []), ...(spec.tag ? [spec.tag] : [])];
    const imageSpec: ImageSpec = {
      layers: spec.layers ?? [
        { size: 4096, seed: `${repository}:base` },
        { size: 1024, seed: `${repository}:${tags[0] ?? 'untagged'}` },
      ],
    };
    if (spec.platforms) imageSpec.platforms = spec.platforms;
    if (spec.format) imageSpec.format = spec.format;
    if (spec.config) imageSpec.config = spec.config;
    const image = buildImage(imageSpec);
    const target = {
      host: registry.upstream,
      username: registry.username,
      password: registry.password,
    };
    // Straight to the registry: setup pushes are not client traffic and must not be counted.
    for (const tag of tags.length > 0 ? tags : [image.digest]) {
      await pushImage(target, repository, tag, image);
    }
    for (const m of [...image.platforms, ...image.attestations]) notePush(repository, m.digest);
    notePush(repository, image.digest);
    if (spec.scan) {
      for (const digest of [image.digest, ...image.platforms.map((p) => p.digest)]) {
        scans.set(`${repository}@${digest}`, spec.scan);
      }
    }
    return image;
  }

  const state: EcrState = {
    repositories,
    createRepository,
    pushImage: (repository, image) => {
      repositoryOrThrow(repository);
      return pushScenarioImage(repository, image);
    },
    async setScan(repository, ref, scan) {
      for (const digest of await scanTargets(repository, ref))
        scans.set(`${repository}@${digest}`, scan);
    },
    setScanning(spec) {
      scanning = registryScanning(spec);
      if (scanning.scanType !== 'ENHANCED') return;
      const now = clock.now();
      for (const [key, record] of images) {
        const repo = repositories.get(key.slice(0, key.lastIndexOf('@')));
        if (repo && record.scanStartedAt === undefined && scanningOf(repo)) {
          record.scanStartedAt = now;
        }
      }
    },
    async setFindings(repository, ref, findings) {
      const repo = repositoryOrThrow(repository);
      for (const digest of await scanTargets(repository, ref)) {
        scans.set(`${repository}@${digest}`, { ...scanSpecOf(repo, digest), findings });
      }
    },
  };

  return {
    name: 'ecr',
    targetPrefix: 'AmazonEC2ContainerRegistry_V20150921',
    state,
    async setup() {
      for (const spec of scenario?.repositories ?? []) {
        createRepository(spec);
        for (const image of spec.images ?? []) await pushScenarioImage(spec.name, image);
      }
    },
    async handle(operation, params) {
      switch (operation) {
        case 'GetAuthorizationToken':
          return getAuthorizationToken();
        case 'DescribeRepositories':
          return describeRepositories(params);
        case 'DescribeImages':
          return describeImages(params);
        case 'BatchGetImage':
          return batchGetImage(params);
        case 'DescribeImageScanFindings':
          return describeImageScanFindings(params);
        case 'StartImageScan':
          return startImageScan(params);
        case 'GetRegistryScanningConfiguration':
          return { registryId: accountId, scanningConfiguration: scanning };
        default:
          throw new AwsError('UnknownOperationException', `Unknown operation ${operation}`);
      }
    },
  };
}
