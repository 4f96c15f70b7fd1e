import { createHash } from 'node:crypto';
import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsResponse,
  type ECRClient,
  GetRegistryScanningConfigurationCommand,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { ActionError, describeError, errorName, messageOf } from '../../lib/errors.ts';
import { formatDuration } from '../../lib/inputs.ts';
import { isThrottling, PollTimeoutError, poll, sleep as realSleep } from '../../lib/poll.ts';
import {
  type Finding,
  findingIdentity,
  normalizeBasic,
  normalizeEnhanced,
  uniqueFindings,
} from './findings.ts';

export interface ScanTarget {
  repository: string;
  registryId?: string;
  imageId: { imageTag: string } | { imageDigest: string };
}

export interface ScanResult {
  /** COMPLETE (basic) or ACTIVE (continuous enhanced scanning). */
  status: string;
  description?: string;
  imageDigest?: string;
  imageTag?: string;
  completedAt?: Date;
  vulnerabilitySourceUpdatedAt?: Date;
  /** One per vulnerability, package and path. */
  findings: Finding[];
  /** Entries ECR listed again for a vulnerability, package and path already read. */
  duplicates: number;
  /** Which kind of findings the scan returned ('none' when the image is clean). */
  scanner: 'basic' | 'enhanced' | 'none';
  pages: number;
}

/** How the findings were watched after ECR said the scan was done. */
export interface SettleOutcome {
  /** The `settle` asked for; 0 when disabled. */
  settleMs: number;
  /** From the scan's first finished answer to the last read. */
  waitedMs: number;
  /** False when wait-timeout came before the findings had been unchanged for `settleMs`. */
  settled: boolean;
  /** Reads of every page after the first. */
  reads: number;
  /** Reads that found the findings changed. */
  changes: number;
}

export interface SettledScan extends ScanResult {
  settle: SettleOutcome;
}

export interface WaitOptions {
  timeoutMs: number;
  startScan: boolean;
  /** How long the findings must stay unchanged after the scan finished; 0 takes the first answer. */
  settleMs?: number;
  intervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
}

export const PAGE_SIZE = 1000;

const WAITING = new Set(['IN_PROGRESS', 'PENDING']);
const FINISHED = new Set(['COMPLETE', 'ACTIVE']);

/** Why a scan in a final non-success state has no findings, and what to do about it. */
const FAILURES: Record<string, string> = {
  FAILED: 'the scan failed',
  UNSUPPORTED_IMAGE:
    'ECR cannot scan this image (its operating system or media type is not supported)',
  SCAN_ELIGIBILITY_EXPIRED:
    "the image is no longer scanned: its scan eligibility expired (push it again, or raise the registry's scan duration)",
  FINDINGS_UNAVAILABLE:
    'the findings are unavailable (the image was deleted, or Amazon Inspector stopped monitoring it)',
  LIMIT_EXCEEDED: 'ECR refused the scan: the daily scan limit was exceeded',
  IMAGE_ARCHIVED: 'the image is archived and cannot be scanned (restore it first)',
};

export function imageLabel(target: ScanTarget): string {
  return 'imageTag' in target.imageId
    ? `${target.repository}:${target.imageId.imageTag}`
    : `${target.repository}@${target.imageId.imageDigest}`;
}

/** The registry's scan type, or undefined when it cannot be read (permissions, other account). */
export async function registryScanType(
  ecr: ECRClient,
  log: (message: string) => void = () => {},
): Promise<'BASIC' | 'ENHANCED' | undefined> {
  try {
    const answer = await ecr.send(new GetRegistryScanningConfigurationCommand({}));
    const type = answer.scanningConfiguration?.scanType;
    return type === 'BASIC' || type === 'ENHANCED' ? type : undefined;
  } catch (err) {
    log(
      `Could not read the registry's scanning configuration (${errorName(err)}): assuming basic scanning`,
    );
    return undefined;
  }
}

/** Why a scan status that is neither finished nor waiting ends the run. */
function scanFailure(label: string, status: string, description: string | undefined): ActionError {
  const why = FAILURES[status] ?? `the scan ended in status ${status}`;
  return new ActionError(
    `scan of ${label}: ${status}: ${why}${description ? ` — ECR says: ${description}` : ''}`,
  );
}

function describePage(ecr: ECRClient, target: ScanTarget, nextToken?: string) {
  return ecr.send(
    new DescribeImageScanFindingsCommand({
      repositoryName: target.repository,
      imageId: target.imageId,
      maxResults: PAGE_SIZE,
      ...(target.registryId ? { registryId: target.registryId } : {}),
      ...(nextToken ? { nextToken } : {}),
    }),
  );
}

function notFound(err: unknown, target: ScanTarget): ActionError | undefined {
  const name = errorName(err);
  if (name === 'ImageNotFoundException') {
    return new ActionError(
      `image ${imageLabel(target)} was not found in ECR: push it first, or check repository and tag/digest`,
    );
  }
  if (name === 'RepositoryNotFoundException') {
    return new ActionError(
      `repository: ECR repository '${target.repository}' does not exist${target.registryId ? ` in registry ${target.registryId}` : ''} (check the name and the region)`,
    );
  }
  return undefined;
}

/**
 * Waits for the image's scan to finish and returns its first page of findings. Polls
 * DescribeImageScanFindings itself: the SDK waiter never finishes on ACTIVE (continuous enhanced
 * scanning) and ignores our timeout. When there is no scan and `startScan` is set, starts a basic
 * scan — only under basic scanning, since Inspector decides when enhanced scans run.
 */
export async function waitForScan(
  ecr: ECRClient,
  target: ScanTarget,
  options: WaitOptions,
): Promise<DescribeImageScanFindingsResponse> {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const label = imageLabel(target);
  let lastState = 'no scan yet';
  let started = false;
  let limitHit = false;
  let scanType: 'BASIC' | 'ENHANCED' | undefined;

  const startBasicScan = async () => {
    started = true;
    scanType = await registryScanType(ecr, log);
    if (scanType === 'ENHANCED') {
      log(`No enhanced scan of ${label} yet: waiting for Amazon Inspector to scan it`);
      return;
    }
    try {
      await ecr.send(
        new StartImageScanCommand({
          repositoryName: target.repository,
          imageId: target.imageId,
          ...(target.registryId ? { registryId: target.registryId } : {}),
        }),
      );
      log(`Started a basic scan of ${label}`);
    } catch (err) {
      const missing = notFound(err, target);
      if (missing) throw missing;
      if (errorName(err) === 'LimitExceededException') {
        // ECR allows one basic scan per image per day, scan-on-push included: a scan that
        // counted today is probably still on its way, so keep waiting for it.
        limitHit = true;
        log(
          `ECR refused a new scan of ${label} (one basic scan per image per 24 hours): waiting for the existing one`,
        );
        return;
      }
      if (errorName(err) === 'ValidationException') {
        // ECR's answer when the registry scans with Inspector (enhanced) rather than on demand.
        scanType = 'ENHANCED';
        log(
          `ECR will not start a basic scan of ${label} (${messageOf(err)}): waiting for an enhanced scan`,
        );
        return;
      }
      throw new ActionError(`could not start a basic scan of ${label}: ${describeError(err)}`);
    }
  };

  const check = async () => {
    let page: DescribeImageScanFindingsResponse;
    try {
      page = await describePage(ecr, target);
    } catch (err) {
      const missing = notFound(err, target);
      if (missing) throw missing;
      if (errorName(err) !== 'ScanNotFoundException') throw err;
      if (!options.startScan) {
        throw new ActionError(
          `image ${label} has no scan: enable scan on push or enhanced scanning for the repository, or set start-scan: true`,
        );
      }
      if (!started) await startBasicScan();
      return { done: false } as const;
    }
    const status = page.imageScanStatus?.status ?? 'UNKNOWN';
    const description = page.imageScanStatus?.description;
    if (FINISHED.has(status)) return { done: true, value: page } as const;
    if (WAITING.has(status)) {
      if (lastState !== status)
        log(`Scan of ${label}: ${status}${description ? ` (${description})` : ''}`);
      lastState = status;
      return { done: false } as const;
    }
    throw scanFailure(label, status, description);
  };

  try {
    return await poll<DescribeImageScanFindingsResponse>(check, {
      intervalMs: options.intervalMs ?? 5000,
      deadline: now() + options.timeoutMs,
      now,
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
  } catch (err) {
    if (!(err instanceof PollTimeoutError)) throw err;
    const waited = formatDuration(options.timeoutMs);
    if (lastState !== 'no scan yet') {
      throw new ActionError(
        `scan of ${label} still ${lastState} after ${waited} (wait-timeout): raise wait-timeout or try again later`,
      );
    }
    if (scanType === 'ENHANCED') {
      throw new ActionError(
        `no enhanced scan of ${label} appeared within ${waited} (wait-timeout): check that the registry's scanning rules cover repository ${target.repository}`,
      );
    }
    if (limitHit) {
      throw new ActionError(
        `no scan of ${label} appeared within ${waited}, and ECR refused to start one (one basic scan per image per 24 hours): try again tomorrow or push a new image`,
      );
    }
    throw new ActionError(`no scan of ${label} appeared within ${waited} (wait-timeout)`);
  }
}

/** Reads every page of findings (maxResults 1000) starting from the first, already fetched. */
export async function readAllFindings(
  ecr: ECRClient,
  target: ScanTarget,
  first: DescribeImageScanFindingsResponse,
): Promise<ScanResult> {
  const findings: Finding[] = [];
  let basic = 0;
  let enhanced = 0;
  let page: DescribeImageScanFindingsResponse = first;
  let pages = 0;
  const seenTokens = new Set<string>();
  for (;;) {
    pages += 1;
    const scan = page.imageScanFindings;
    for (const f of scan?.findings ?? []) {
      findings.push(normalizeBasic(f));
      basic += 1;
    }
    for (const f of scan?.enhancedFindings ?? []) {
      findings.push(...normalizeEnhanced(f));
      enhanced += 1;
    }
    const token = page.nextToken;
    if (!token) break;
    if (seenTokens.has(token)) {
      throw new ActionError(
        `ECR returned the same page token twice while listing findings of ${imageLabel(target)}`,
      );
    }
    seenTokens.add(token);
    page = await describePage(ecr, target, token);
  }
  const unique = uniqueFindings(findings);
  const result: ScanResult = {
    status: first.imageScanStatus?.status ?? 'UNKNOWN',
    findings: unique.findings,
    duplicates: unique.duplicates,
    scanner: enhanced > 0 ? 'enhanced' : basic > 0 ? 'basic' : 'none',
    pages,
  };
  const description = first.imageScanStatus?.description;
  if (description) result.description = description;
  const digest =
    first.imageId?.imageDigest ??
    ('imageDigest' in target.imageId ? target.imageId.imageDigest : undefined);
  if (digest) result.imageDigest = digest;
  const tag =
    first.imageId?.imageTag ?? ('imageTag' in target.imageId ? target.imageId.imageTag : undefined);
  if (tag) result.imageTag = tag;
  if (first.imageScanFindings?.imageScanCompletedAt) {
    result.completedAt = first.imageScanFindings.imageScanCompletedAt;
  }
  if (first.imageScanFindings?.vulnerabilitySourceUpdatedAt) {
    result.vulnerabilitySourceUpdatedAt = first.imageScanFindings.vulnerabilitySourceUpdatedAt;
  }
  return result;
}

/**
 * What the findings are, as a comparable string: each finding's identity, versions, severity and
 * Inspector status. Two reads with the same signature report the same thing.
 */
export function findingsSignature(findings: readonly Finding[]): string {
  const lines = findings
    .map((f) =>
      [
        findingIdentity(f),
        f.packageVersion ?? '',
        f.fixedInVersion ?? '',
        f.severity,
        f.status ?? '',
      ].join('\t'),
    )
    .sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/**
 * Reads the findings again until they have not changed for `settleMs`, or the deadline passes.
 * ECR reports an enhanced scan COMPLETE or ACTIVE before Amazon Inspector has delivered every
 * finding (users see 0–1 findings at that moment and the rest a minute later): judging the first
 * answer would pass a vulnerable image.
 */
export async function settleFindings(
  ecr: ECRClient,
  target: ScanTarget,
  first: ScanResult,
  options: {
    settleMs: number;
    deadline: number;
    intervalMs?: number;
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
    log?: (message: string) => void;
  },
): Promise<SettledScan> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const log = options.log ?? (() => {});
  const { settleMs, deadline } = options;
  const label = imageLabel(target);
  const start = now();
  const outcome: SettleOutcome = { settleMs, waitedMs: 0, settled: true, reads: 0, changes: 0 };
  if (settleMs <= 0) return { ...first, settle: outcome };
  // Every read lists every page: a sixth of the settle time apart keeps large scans cheap.
  const interval = Math.max(options.intervalMs ?? 5000, settleMs / 6);
  let scan = first;
  let signature = findingsSignature(first.findings);
  let stableSince = start;
  log(
    `Scan ${first.status} with ${first.findings.length} findings: reading them until they are unchanged for ${formatDuration(settleMs)} (settle)`,
  );
  for (;;) {
    const at = now();
    if (at >= deadline) {
      outcome.settled = false;
      break;
    }
    await sleep(Math.max(0, Math.min(interval, stableSince + settleMs - at, deadline - at)));
    let page: DescribeImageScanFindingsResponse;
    try {
      page = await describePage(ecr, target);
    } catch (err) {
      if (isThrottling(err)) continue;
      throw notFound(err, target) ?? err;
    }
    outcome.reads += 1;
    const status = page.imageScanStatus?.status ?? 'UNKNOWN';
    if (!FINISHED.has(status)) {
      if (!WAITING.has(status)) throw scanFailure(label, status, page.imageScanStatus?.description);
      // A new scan of the image started (a rescan): what it finds is yet to come.
      log(`Scan of ${label}: ${status} again: waiting for it`);
      outcome.changes += 1;
      stableSince = now();
      continue;
    }
    const next = await readAllFindings(ecr, target, page);
    const nextSignature = findingsSignature(next.findings);
    if (nextSignature !== signature) {
      log(
        `Findings changed ${formatDuration(now() - start)} after the scan finished: ${scan.findings.length} → ${next.findings.length}`,
      );
      outcome.changes += 1;
      signature = nextSignature;
      stableSince = now();
    }
    scan = next;
    if (now() - stableSince >= settleMs) break;
  }
  outcome.waitedMs = now() - start;
  return { ...scan, settle: outcome };
}

/** Waits for the scan, reads all its findings, and waits for them to settle. */
export async function scanImage(
  ecr: ECRClient,
  target: ScanTarget,
  options: WaitOptions,
): Promise<SettledScan> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  const first = await waitForScan(ecr, target, options);
  const scan = await readAllFindings(ecr, target, first);
  return settleFindings(ecr, target, scan, {
    settleMs: options.settleMs ?? 0,
    deadline,
    now,
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
}

/**
 * The findings of another image of the repository (the PR's base), when it exists and its scan is
 * finished; undefined otherwise. Never waits and never starts a scan.
 */
export async function tryReadFindings(
  ecr: ECRClient,
  target: ScanTarget,
): Promise<ScanResult | undefined> {
  let first: DescribeImageScanFindingsResponse;
  try {
    first = await describePage(ecr, target);
  } catch (err) {
    const name = errorName(err);
    if (name === 'ImageNotFoundException' || name === 'ScanNotFoundException') return undefined;
    throw err;
  }
  if (!FINISHED.has(first.imageScanStatus?.status ?? '')) return undefined;
  return readAllFindings(ecr, target, first);
}
