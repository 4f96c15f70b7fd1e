import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { RunnerContext } from '../../lib/context.ts';
import { describeError } from '../../lib/errors.ts';
import { type Octokit, type RepoRef, refusalStatus } from '../../lib/github.ts';
import type { Log } from '../../lib/log.ts';
import { plain } from '../../lib/markdown.ts';
import { countSeverities, type Finding, type SeverityCounts } from './findings.ts';
import { applyIgnores, entryLabel, type IgnoreResult } from './ignore.ts';
import { type Inputs, isPullRequestEvent } from './inputs.ts';
import {
  type CommentOutcome,
  prCommentMarker,
  renderPrComment,
  upsertPrComment,
} from './pr-comment.ts';
import { buildSarif, type DockerfileLocation, lastFromLine } from './sarif.ts';
import { type ScanResult, type ScanTarget, scanImage, tryReadFindings } from './scan.ts';
import { failingFindings } from './summary.ts';
import {
  applyTicketPlan,
  findingKey,
  type ImageInfo,
  listTickets,
  planTickets,
  type TicketOutcome,
  ticketGroups,
} from './tickets.ts';

export interface RunContext {
  ecr: ECRClient;
  /** Built on first use, so runs without tickets or comments need no token. */
  octokit: () => Octokit;
  repo: () => RepoRef;
  event: { name: string; payload: Record<string, unknown> };
  /** The workspace (where the Dockerfile is) and the temp dir (where the findings file goes). */
  runner: RunnerContext;
  now: Date;
  log: Log;
  /** Poll interval for the scan; tests shorten it. */
  pollIntervalMs?: number;
}

export interface RunResult {
  image: ImageInfo;
  scan: ScanResult;
  counts: SeverityCounts;
  ignore: IgnoreResult;
  failing: Finding[];
  findingsFile: string;
  sarifFile?: string;
  tickets?: TicketOutcome;
  comment?: CommentOutcome;
  githubWrites: number;
  /** GitHub requests that were refused (tickets, the PR comment): warnings, never the gate. */
  githubProblems: string[];
}

const TAG = /^[\w][\w.-]{0,127}$/;

interface PullRequestPayload {
  number?: number;
  base?: { sha?: string; ref?: string };
}

function pullRequest(event: RunContext['event']): PullRequestPayload | undefined {
  const pr = event.payload.pull_request;
  return typeof pr === 'object' && pr !== null ? (pr as PullRequestPayload) : undefined;
}

/**
 * Tags the base branch's image is commonly pushed under: the base commit SHA (full or short) and
 * the branch name. The first one with a finished scan is the comparison point.
 */
export function baseTagCandidates(pr: PullRequestPayload | undefined, ownTag?: string): string[] {
  const sha = pr?.base?.sha;
  const tags = [sha, sha?.slice(0, 7), pr?.base?.ref].filter(
    (t): t is string => typeof t === 'string' && TAG.test(t) && t !== ownTag,
  );
  return [...new Set(tags)];
}

function dockerfileLocation(ctx: RunContext, file: string): DockerfileLocation {
  const absolute = path.resolve(ctx.runner.workspace, file);
  const uri = path.relative(ctx.runner.workspace, absolute).split(path.sep).join('/');
  if (!existsSync(absolute)) {
    ctx.log.warning(`dockerfile: ${file} not found: SARIF results point at line 1 of it`);
    return { uri, line: 1 };
  }
  const line = lastFromLine(readFileSync(absolute, 'utf8'));
  if (line === undefined)
    ctx.log.warning(`dockerfile: ${file} has no FROM instruction: SARIF results point at line 1`);
  return { uri, line: line ?? 1 };
}

function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

export async function runEcrScan(inputs: Inputs, ctx: RunContext): Promise<RunResult> {
  const target: ScanTarget = {
    repository: inputs.repository,
    imageId: inputs.imageId,
    ...(inputs.registryId ? { registryId: inputs.registryId } : {}),
  };
  const scan = await scanImage(ctx.ecr, target, {
    timeoutMs: inputs.waitTimeoutMs,
    startScan: inputs.startScan,
    log: (message) => ctx.log.info(message),
    ...(ctx.pollIntervalMs ? { intervalMs: ctx.pollIntervalMs } : {}),
  });
  const image: ImageInfo = {
    repository: inputs.repository,
    ...(inputs.registryId ? { registryId: inputs.registryId } : {}),
    ...(scan.imageTag ? { tag: scan.imageTag } : {}),
    ...(scan.imageDigest ? { digest: scan.imageDigest } : {}),
  };
  ctx.log.info(`Scan ${scan.status}: ${scan.findings.length} findings over ${scan.pages} page(s)`);

  const ignore = applyIgnores(scan.findings, inputs.ignores, ctx.now);
  for (const e of ignore.expired) {
    ctx.log.warning(
      `${inputs.ignoreFile}: ignore entry ${plain(entryLabel(e))} expired on ${e.expires} and no longer applies`,
    );
  }
  for (const e of ignore.unmatched) {
    ctx.log.warning(
      `${inputs.ignoreFile}: ignore entry ${plain(entryLabel(e))} matches no finding of this image: remove it`,
    );
  }
  const counts = countSeverities(scan.findings);
  const failing = failingFindings(ignore.kept, inputs.failOn);

  const findingsFile = path.join(
    ctx.runner.tempDir,
    `ecr-scan-${inputs.repository.replace(/\//g, '_')}-${process.pid}.json`,
  );
  writeJson(findingsFile, {
    repository: inputs.repository,
    ...(inputs.registryId ? { registryId: inputs.registryId } : {}),
    image: { tag: image.tag ?? null, digest: image.digest ?? null },
    status: scan.status,
    scanner: scan.scanner,
    completedAt: scan.completedAt?.toISOString() ?? null,
    counts,
    total: scan.findings.length,
    ignored: ignore.ignored.length,
    findings: [
      ...ignore.kept.map((f) => ({ ...f, ignored: null })),
      ...ignore.ignored.map(({ finding, entry }) => ({
        ...finding,
        ignored: { reason: entry.reason, expires: entry.expires },
      })),
    ],
  });

  const result: RunResult = {
    image,
    scan,
    counts,
    ignore,
    failing,
    findingsFile,
    githubWrites: 0,
    githubProblems: [],
  };
  // GitHub is where the scan is reported, not what it decides: a refused write (a fork's
  // read-only token, a rate limit, a body GitHub will not take) is a warning, and the step still
  // writes its gate result, outputs and summary.
  const refused = (problem: string) => {
    result.githubProblems.push(problem);
    ctx.log.warning(problem);
  };
  const reported = async <T>(what: string, write: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await write();
    } catch (err) {
      if (refusalStatus(err) === undefined) throw err;
      refused(`${what}: GitHub refused it: ${describeError(err)}`);
      return undefined;
    }
  };

  if (inputs.sarifFile) {
    const sarif = buildSarif({
      image,
      findings: ignore.kept,
      ignored: ignore.ignored,
      dockerfile: dockerfileLocation(ctx, inputs.dockerfile),
    });
    writeJson(inputs.sarifFile, sarif);
    result.sarifFile = inputs.sarifFile;
  }

  if (inputs.tickets) {
    const octokit = ctx.octokit();
    const repo = ctx.repo();
    const existing = await reported('tickets: listing the ticket issues', () =>
      listTickets(octokit, repo, inputs.ticketLabels),
    );
    if (existing) {
      const plan = planTickets({
        repository: inputs.repository,
        image,
        groups: ticketGroups(inputs.repository, ignore.kept, inputs.ticketSeverity),
        presentKeys: new Set(scan.findings.map((f) => findingKey(inputs.repository, f))),
        existing,
        maxNew: inputs.maxNewTickets,
        closeFixed: inputs.closeFixed,
      });
      result.tickets = await applyTicketPlan(octokit, repo, plan, inputs.ticketLabels, (message) =>
        ctx.log.info(message),
      );
      result.githubWrites += result.tickets.writes;
      for (const problem of result.tickets.refused) refused(`tickets: ${problem}`);
      if (plan.deferred.length > 0) {
        ctx.log.warning(
          `max-new-tickets (${inputs.maxNewTickets}) reached: ${plan.deferred.length} tickets not opened this run`,
        );
      }
    }
  }

  const pr = pullRequest(ctx.event);
  const wantComment =
    inputs.prComment === 'true' ||
    (inputs.prComment === 'auto' && isPullRequestEvent(ctx.event.name));
  if (wantComment) {
    if (typeof pr?.number !== 'number') {
      ctx.log.warning(
        `pr-comment: this run has no pull request (event '${ctx.event.name}'): no comment written`,
      );
    } else {
      let base: { image: ImageInfo; findings: Finding[] } | undefined;
      for (const tag of baseTagCandidates(pr, image.tag)) {
        const found = await tryReadFindings(ctx.ecr, { ...target, imageId: { imageTag: tag } });
        if (found) {
          base = {
            image: { ...image, tag, ...(found.imageDigest ? { digest: found.imageDigest } : {}) },
            findings: applyIgnores(found.findings, inputs.ignores, ctx.now).kept,
          };
          ctx.log.info(`Comparing with the base image ${inputs.repository}:${tag}`);
          break;
        }
      }
      const body = renderPrComment({
        image,
        findings: ignore.kept,
        counts,
        ignored: ignore.ignored.length,
        level: inputs.ticketSeverity,
        ...(base ? { base } : {}),
      });
      const prNumber = pr.number;
      const comment = await reported(`pr-comment: writing the comment on #${prNumber}`, () =>
        upsertPrComment(ctx.octokit(), ctx.repo(), prNumber, prCommentMarker(image), body),
      );
      if (comment) {
        result.comment = comment;
        result.githubWrites += comment.writes;
        ctx.log.info(`PR comment ${comment.action}: ${comment.url}`);
      }
    }
  }
  return result;
}
