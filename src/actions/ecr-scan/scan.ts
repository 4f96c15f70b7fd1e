import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsResponse,
  type ECRClient,
  GetRegistryScanningConfigurationCommand,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { ActionError, describeError, errorName, messageOf } from '../../lib/errors.ts';
import { formatDuration } from '../../lib/inputs.ts';
import { PollTimeoutError, poll } from '../../lib/poll.ts';
import { type Finding, normalizeBasic, normalizeEnhanced } from './findings.ts';

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
  findings: Finding[];
  /** Which kind of findings the scan returned ('none' when the image is clean). */
  scanner: 'basic' | 'enhanced' | 'none';
  pages: number;
}

export interface WaitOptions {
  timeoutMs: number;
  startScan: boolean;
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
    const why = FAILURES[status] ?? `the scan ended in status ${status}`;
    throw new ActionError(
      `scan of ${label}: ${status}: ${why}${description ? ` — ECR says: ${description}` : ''}`,
    );
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
  const result: ScanResult = {
    status: first.imageScanStatus?.status ?? 'UNKNOWN',
    findings,
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

/** Waits for the scan and reads all its findings. */
export async function scanImage(
  ecr: ECRClient,
  target: ScanTarget,
  options: WaitOptions,
): Promise<ScanResult> {
  const first = await waitForScan(ecr, target, options);
  return readAllFindings(ecr, target, first);
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
