import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { RunnerContext } from '../../lib/context.ts';
import { describeError } from '../../lib/errors.ts';
import { type Octokit, type RepoRef, refusalStatus } from '../../lib/github.ts';
import { formatDuration } from '../../lib/inputs.ts';
import type { Log } from '../../lib/log.ts';
import { plain } from '../../lib/markdown.ts';
import { countSeverities, type Finding, type SeverityCounts } from './findings.ts';
import { type GateResult, judge, ruleInputs } from './gate.ts';
import { applyIgnores, entryLabel, type IgnoreResult } from './ignore.ts';
import { type Inputs, isPullRequestEvent } from './inputs.ts';
import {
  type CommentOutcome,
  prCommentMarker,
  renderPrComment,
  upsertPrComment,
} from './pr-comment.ts';
import { buildSarif, type DockerfileLocation, lastFromLine } from './sarif.ts';
import { type ScanTarget, type SettledScan, scanImage, tryReadFindings } from './scan.ts';
import {
  applyTicketPlan,
  findingKey,
  type ImageInfo,
  imageName,
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
  /** The clock the scan and settle waits run on; tests pass one that sleeps instantly. */
  clock?: { now: () => number; sleep: (ms: number) => Promise<void> };
}

export interface RunResult {
  image: ImageInfo;
  scan: SettledScan;
  /** Findings open in the image (not SUPPRESSED or CLOSED in Inspector), ignored ones included. */
  counts: SeverityCounts;
  /** The ignore file applied to the open findings. */
  ignore: IgnoreResult;
  /** SUPPRESSED or CLOSED in Amazon Inspector and not ignored: listed apart, never judged. */
  suppressed: Finding[];
  gate: GateResult;
  /** The base image the PR comment and `fail-on-scope: new` compare with. */
  base?: BaseImage;
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

export interface BaseImage {
  image: ImageInfo;
  findings: Finding[];
}

/**
 * The base branch's image with a finished scan, when the run is for a pull request and one is
 * found. Its findings are those still in it (not CLOSED) that the ignore file does not accept.
 */
async function findBase(
  ctx: RunContext,
  inputs: Inputs,
  target: ScanTarget,
  image: ImageInfo,
): Promise<BaseImage | undefined> {
  for (const tag of baseTagCandidates(pullRequest(ctx.event), image.tag)) {
    const found = await tryReadFindings(ctx.ecr, { ...target, imageId: { imageTag: tag } });
    if (!found) continue;
    ctx.log.info(`Comparing with the base image ${inputs.repository}:${tag}`);
    const present = found.findings.filter((f) => f.status !== 'CLOSED');
    return {
      image: { ...image, tag, ...(found.imageDigest ? { digest: found.imageDigest } : {}) },
      findings: applyIgnores(present, inputs.ignores, ctx.now).kept,
    };
  }
  return undefined;
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

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Says how the wait for settled findings went; a warning when wait-timeout cut it short. */
function reportSettle(ctx: RunContext, inputs: Inputs, scan: SettledScan, image: ImageInfo): void {
  const { settle } = scan;
  if (settle.settleMs > 0 && settle.settled) {
    ctx.log.info(
      `Findings settled: unchanged for ${formatDuration(settle.settleMs)}, ${formatDuration(settle.waitedMs)} after the scan finished (${plural(settle.reads, 'read')}, ${plural(settle.changes, 'change')})`,
    );
  } else if (!settle.settled) {
    const why =
      settle.changes > 0
        ? `while the findings were still changing (${plural(settle.changes, 'change')} in ${formatDuration(settle.waitedMs)})`
        : `before the findings had been unchanged for ${formatDuration(settle.settleMs)}`;
    ctx.log.warning(
      `settle: wait-timeout (${formatDuration(inputs.waitTimeoutMs)}) ran out ${why}: ${imageName(image)} is judged on the last read, which may miss findings still on their way; raise wait-timeout`,
    );
  }
}

/**
 * The findings open in the image, split by the ignore file, and those SUPPRESSED or CLOSED in
 * Amazon Inspector, apart. Warns about ignore entries that expired or match nothing.
 */
function sortFindings(
  ctx: RunContext,
  inputs: Inputs,
  findings: readonly Finding[],
): { ignore: IgnoreResult; suppressed: Finding[] } {
  const open = findings.filter((f) => f.status === undefined);
  const suppressed = findings.filter((f) => f.status !== undefined);
  const ignore = applyIgnores(open, inputs.ignores, ctx.now);
  // An entry that accepts a finding Inspector already suppresses still matches a finding.
  ignore.unmatched = ignore.unmatched.filter(
    (e) => applyIgnores(suppressed, [e], ctx.now).ignored.length === 0,
  );
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
  if (suppressed.length > 0) {
    const count = suppressed.filter((f) => f.status === 'SUPPRESSED').length;
    ctx.log.info(
      `${plural(suppressed.length, 'finding')} out of the gate in Amazon Inspector: ${count} SUPPRESSED, ${suppressed.length - count} CLOSED`,
    );
  }
  return { ignore, suppressed };
}

function writeFindingsFile(ctx: RunContext, inputs: Inputs, result: RunResult): string {
  const { scan, image, ignore, gate } = result;
  const file = path.join(
    ctx.runner.tempDir,
    `ecr-scan-${inputs.repository.replace(/\//g, '_')}-${process.pid}.json`,
  );
  writeJson(file, {
    repository: inputs.repository,
    ...(inputs.registryId ? { registryId: inputs.registryId } : {}),
    image: { tag: image.tag ?? null, digest: image.digest ?? null },
    status: scan.status,
    scanner: scan.scanner,
    completedAt: scan.completedAt?.toISOString() ?? null,
    settle: {
      seconds: Math.round(scan.settle.waitedMs / 1000),
      settled: scan.settle.settled,
      changes: scan.settle.changes,
    },
    counts: result.counts,
    total: ignore.kept.length + ignore.ignored.length,
    ignored: ignore.ignored.length,
    suppressed: result.suppressed.length,
    gate: {
      rule: ruleInputs(gate.rule),
      failing: gate.failing.length,
      base: gate.base ? imageName(gate.base) : null,
    },
    findings: [
      ...ignore.kept.map((f) => ({ ...f, ignored: null })),
      ...ignore.ignored.map(({ finding, entry }) => ({
        ...finding,
        ignored: { reason: entry.reason, expires: entry.expires },
      })),
      ...result.suppressed.map((f) => ({ ...f, ignored: null })),
    ],
  });
  return file;
}

type Reported = <T>(what: string, write: () => Promise<T>) => Promise<T | undefined>;

async function syncTickets(
  ctx: RunContext,
  inputs: Inputs,
  result: RunResult,
  reported: Reported,
): Promise<TicketOutcome | undefined> {
  const octokit = ctx.octokit();
  const repo = ctx.repo();
  const existing = await reported('tickets: listing the ticket issues', () =>
    listTickets(octokit, repo, inputs.ticketLabels),
  );
  if (!existing) return undefined;
  const plan = planTickets({
    repository: inputs.repository,
    image: result.image,
    groups: ticketGroups(inputs.repository, result.ignore.kept, inputs.ticketSeverity),
    // A SUPPRESSED finding is still in the image: its ticket stays as it is, like an ignored one.
    presentKeys: new Set(
      result.scan.findings
        .filter((f) => f.status !== 'CLOSED')
        .map((f) => findingKey(inputs.repository, f)),
    ),
    existing,
    maxNew: inputs.maxNewTickets,
    closeFixed: inputs.closeFixed,
  });
  const outcome = await applyTicketPlan(octokit, repo, plan, inputs.ticketLabels, (message) =>
    ctx.log.info(message),
  );
  if (plan.deferred.length > 0) {
    ctx.log.warning(
      `max-new-tickets (${inputs.maxNewTickets}) reached: ${plan.deferred.length} tickets not opened this run`,
    );
  }
  return outcome;
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
    settleMs: inputs.settleMs,
    log: (message) => ctx.log.info(message),
    ...(ctx.pollIntervalMs ? { intervalMs: ctx.pollIntervalMs } : {}),
    ...(ctx.clock ? { now: ctx.clock.now, sleep: ctx.clock.sleep } : {}),
  });
  const image: ImageInfo = {
    repository: inputs.repository,
    ...(inputs.registryId ? { registryId: inputs.registryId } : {}),
    ...(scan.imageTag ? { tag: scan.imageTag } : {}),
    ...(scan.imageDigest ? { digest: scan.imageDigest } : {}),
  };
  ctx.log.info(`Scan ${scan.status}: ${scan.findings.length} findings over ${scan.pages} page(s)`);
  if (scan.duplicates > 0) {
    ctx.log.info(
      `${scan.duplicates} entries repeated a vulnerability, package and path already listed: counted once`,
    );
  }
  reportSettle(ctx, inputs, scan, image);
  const { ignore, suppressed } = sortFindings(ctx, inputs, scan.findings);

  const pr = pullRequest(ctx.event);
  const wantComment =
    inputs.prComment === 'true' ||
    (inputs.prComment === 'auto' && isPullRequestEvent(ctx.event.name));
  const base =
    (wantComment && typeof pr?.number === 'number') || inputs.failOnScope === 'new'
      ? await findBase(ctx, inputs, target, image)
      : undefined;
  const gate = judge({
    rule: {
      failOn: inputs.failOn,
      fixable: inputs.failOnFixable,
      exploitable: inputs.failOnExploitable,
      scope: inputs.failOnScope,
    },
    repository: inputs.repository,
    findings: ignore.kept,
    ...(base ? { base } : {}),
  });
  if (gate.rule.failOn !== 'none') {
    ctx.log.info(
      `Gate (${ruleInputs(gate.rule)}): ${gate.steps.map((s) => `${s.left} ${s.label}`.replace(/`/g, '')).join(' → ')}${gate.noBase ? ' (no base image to compare with: every finding counts)' : ''}`,
    );
  }

  const result: RunResult = {
    image,
    scan,
    counts: countSeverities([...ignore.kept, ...ignore.ignored.map((i) => i.finding)]),
    ignore,
    suppressed,
    gate,
    ...(base ? { base } : {}),
    findingsFile: '',
    githubWrites: 0,
    githubProblems: [],
  };
  result.findingsFile = writeFindingsFile(ctx, inputs, result);
  // GitHub is where the scan is reported, not what it decides: a refused write (a fork's
  // read-only token, a rate limit, a body GitHub will not take) is a warning, and the step still
  // writes its gate result, outputs and summary.
  const refused = (problem: string) => {
    result.githubProblems.push(problem);
    ctx.log.warning(problem);
  };
  const reported: Reported = async (what, write) => {
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
      // CLOSED findings are gone from the image: code scanning closes their alerts.
      suppressed: suppressed.filter((f) => f.status === 'SUPPRESSED'),
      dockerfile: dockerfileLocation(ctx, inputs.dockerfile),
    });
    writeJson(inputs.sarifFile, sarif);
    result.sarifFile = inputs.sarifFile;
  }

  if (inputs.tickets) {
    const tickets = await syncTickets(ctx, inputs, result, reported);
    if (tickets) {
      result.tickets = tickets;
      result.githubWrites += tickets.writes;
      for (const problem of tickets.refused) refused(`tickets: ${problem}`);
    }
  }

  if (wantComment) {
    if (typeof pr?.number !== 'number') {
      ctx.log.warning(
        `pr-comment: this run has no pull request (event '${ctx.event.name}'): no comment written`,
      );
    } else {
      const body = renderPrComment({
        image,
        findings: ignore.kept,
        counts: result.counts,
        ignored: ignore.ignored.length,
        suppressed: suppressed.length,
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
