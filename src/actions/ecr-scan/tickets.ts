import { createHash } from 'node:crypto';
import { describeError } from '../../lib/errors.ts';
import {
  createIssue,
  type FoundIssue,
  findIssues,
  hiddenMarker,
  type IssueWrite,
  type Octokit,
  type RepoRef,
  readMarker,
  refusalStatus,
  sameText,
  updateIssue,
} from '../../lib/github.ts';
import { fitBody } from '../../lib/markdown.ts';
import {
  atOrAbove,
  compareFindings,
  type Finding,
  fixText,
  type Level,
  type Severity,
} from './findings.ts';
import {
  BODY_BUDGET,
  cell,
  code,
  fitRows,
  link,
  notShown,
  plain,
  prose,
  shortDigest,
  text,
} from './markdown.ts';

/** The image a run scanned, as tickets and comments name it. */
export interface ImageInfo {
  repository: string;
  registryId?: string;
  tag?: string;
  digest?: string;
}

export function imageName(image: ImageInfo): string {
  if (image.tag) return `${image.repository}:${image.tag}`;
  return image.digest ? `${image.repository}@${shortDigest(image.digest)}` : image.repository;
}

/**
 * The dedup key of a ticket: one per repository, vulnerability and package (a package at several
 * paths is one ticket with a row per path).
 */
export function ticketKey(repository: string, id: string, packageName: string): string {
  return createHash('sha256').update(`${repository}\n${id}\n${packageName}`).digest('hex');
}

export function findingKey(repository: string, finding: Finding): string {
  return ticketKey(repository, finding.id, finding.packageName);
}

const TICKET_KIND = 'ecr-scan-ticket';
const REPOSITORY_KIND = 'ecr-scan-repository';

export function keyMarker(key: string): string {
  return hiddenMarker(TICKET_KIND, key);
}

/** Says which repository a ticket is about, so a scan closes only its own repository's tickets. */
export function repositoryMarker(repository: string): string {
  return hiddenMarker(REPOSITORY_KIND, repository);
}

/** All findings of one vulnerability in one package (several installed versions may be affected). */
export interface TicketGroup {
  key: string;
  id: string;
  packageName: string;
  severity: Severity;
  findings: Finding[];
}

/** Groups the findings that deserve a ticket, most severe first. */
export function ticketGroups(
  repository: string,
  findings: readonly Finding[],
  level: Level,
): TicketGroup[] {
  const groups = new Map<string, TicketGroup>();
  for (const finding of [...findings].sort(compareFindings)) {
    if (!atOrAbove(finding.severity, level)) continue;
    const key = findingKey(repository, finding);
    const group = groups.get(key);
    if (group) group.findings.push(finding);
    else {
      groups.set(key, {
        key,
        id: finding.id,
        packageName: finding.packageName,
        severity: finding.severity,
        findings: [finding],
      });
    }
  }
  return [...groups.values()];
}

export interface RenderedTicket {
  title: string;
  body: string;
}

const TITLE_MAX = 256;
const FINDINGS_KIND = 'ecr-scan-findings';
/** Part of the findings hash: raise it when the body's layout changes, to rewrite every ticket once. */
const BODY_FORMAT = 2;

/**
 * A hash of what a ticket says about its findings: for each path, the versions, severity, score,
 * fix and exploit, plus the advisory link. The image is left out: a new image with the same
 * findings leaves the ticket as it is.
 */
export function findingsHash(group: TicketGroup): string {
  const rows = group.findings
    .map((f) =>
      JSON.stringify([
        f.filePath ?? '',
        f.packageVersion ?? '',
        f.fixedInVersion ?? '',
        f.severity,
        f.score ?? null,
        f.packageManager ?? '',
        f.exploitAvailable ?? null,
        f.url ?? '',
      ]),
    )
    .sort();
  return createHash('sha256')
    .update(JSON.stringify([BODY_FORMAT, group.id, group.packageName, rows]))
    .digest('hex');
}

function yesNo(value: boolean | undefined): string {
  return value === undefined ? '—' : value ? 'yes' : 'no';
}

/**
 * Title and body of a ticket. They depend on the findings, and on the image only where the body
 * says which image they were seen in when they last changed: planTickets leaves a ticket whose
 * findings hash is unchanged alone, so a new image with the same findings rewrites nothing.
 */
export function renderTicket(group: TicketGroup, image: ImageInfo): RenderedTicket {
  const lead = group.findings[0]!;
  const title = plain(
    `${plain(group.id, 80)} in ${plain(group.packageName, 120)} (${group.severity}) — ${image.repository}`,
    TITLE_MAX,
  );
  const exploit = group.findings.some((f) => f.exploitAvailable === true)
    ? true
    : group.findings.every((f) => f.exploitAvailable === false)
      ? false
      : undefined;
  const header = [
    keyMarker(group.key),
    repositoryMarker(image.repository),
    hiddenMarker(FINDINGS_KIND, findingsHash(group)),
    `## ${text(group.id, 80)} in ${code(group.packageName)}`,
    '',
    `| | |`,
    `|---|---|`,
    `| Severity | **${group.severity}**${lead.score !== undefined ? ` (score ${lead.score})` : ''} |`,
    `| Package | ${code(group.packageName)}${lead.packageManager ? ` (${cell(lead.packageManager)})` : ''} |`,
    `| Fixed in | ${cell(lead.fixedInVersion ?? (lead.scanner === 'basic' ? 'not reported by basic scanning' : 'no fix yet'))} |`,
    `| Known exploit | ${yesNo(exploit)} |`,
    `| Repository | ${code(image.repository)}${image.registryId ? ` (registry ${image.registryId})` : ''} |`,
    `| Details | ${link(cell(group.id, 80), lead.url)} |`,
    '',
    `### Where it is`,
    '',
    `As found in ${code(imageName(image))}${image.digest ? ` (${code(shortDigest(image.digest))})` : ''}, the image this ticket was last changed for; later images with the same findings leave it as it is.`,
    '',
  ].join('\n');
  const rows = group.findings.map(
    (f) => (max: number) =>
      ['', cell(f.filePath, max), cell(f.packageVersion, max), cell(f.fixedInVersion, max), '']
        .join(' | ')
        .trim(),
  );
  const table = fitRows(
    `${header}\n| Path | Installed | Fixed in |\n|---|---|---|`,
    rows,
    BODY_BUDGET - 6000,
  );
  const parts = [table.text];
  if (table.omitted > 0)
    parts.push('', notShown(table.omitted, 'see the findings file of the scan'));
  parts.push('', '### Fix', '', text(fixText(lead), 600));
  const about = lead.description ?? lead.title;
  if (about) parts.push('', '### Description', '', prose(about, 4000));
  parts.push(
    '',
    '---',
    `_Kept up to date by the ecr-scan action: updated when the finding changes, closed when a scan of ${code(image.repository)} no longer reports it. To accept the risk, add ${code(group.id, 80)} to the ignore file with a reason and an expiry date._`,
  );
  return { title, body: fitBody(parts.join('\n')) };
}

/** An issue that carries our key marker, as listed from GitHub. */
export interface ExistingTicket extends FoundIssue {
  repository?: string;
  /** The findings hash its body was written with (none in bodies of older versions). */
  findingsHash?: string;
}

export type TicketAction =
  | { kind: 'create'; key: string; title: string; body: string }
  | { kind: 'update'; key: string; ticket: ExistingTicket; title: string; body: string }
  | {
      kind: 'reopen';
      key: string;
      ticket: ExistingTicket;
      title: string;
      /** Left out when the findings are those the body already describes. */
      body?: string;
      comment: string;
    }
  | { kind: 'close'; key: string; ticket: ExistingTicket; comment: string };

export interface TicketPlan {
  actions: TicketAction[];
  /** Tickets that would have been created past `max-new-tickets`. */
  deferred: TicketGroup[];
  /** Issues left as they are because nothing changed. */
  unchanged: number;
  /** Closed as not planned by a person: the finding recurs but we do not reopen. */
  dismissed: ExistingTicket[];
}

export interface PlanInput {
  repository: string;
  image: ImageInfo;
  groups: readonly TicketGroup[];
  /** Keys of every finding in the image, ignored or below the ticket level included. */
  presentKeys: ReadonlySet<string>;
  existing: readonly ExistingTicket[];
  maxNew: number;
  closeFixed: boolean;
}

/**
 * What to do with GitHub issues so they match the scan. Pure: the caller lists issues and
 * applies the plan. A key already ticketed more than once (a past race) is matched to its open
 * issue first, then its lowest number, and the others are left alone.
 */
export function planTickets(input: PlanInput): TicketPlan {
  const byKey = new Map<string, ExistingTicket>();
  const ordered = [...input.existing].sort(
    (a, b) => (a.state === b.state ? 0 : a.state === 'open' ? -1 : 1) || a.number - b.number,
  );
  for (const ticket of ordered) if (!byKey.has(ticket.key)) byKey.set(ticket.key, ticket);

  const plan: TicketPlan = { actions: [], deferred: [], unchanged: 0, dismissed: [] };
  const where = imageName(input.image);
  let created = 0;
  for (const group of input.groups) {
    const existing = byKey.get(group.key);
    const hash = findingsHash(group);
    const rendered = renderTicket(group, input.image);
    if (!existing) {
      if (created < input.maxNew) {
        plan.actions.push({ kind: 'create', key: group.key, ...rendered });
        created += 1;
      } else {
        plan.deferred.push(group);
      }
      continue;
    }
    if (existing.state === 'closed') {
      if (existing.stateReason === 'not_planned') {
        plan.dismissed.push(existing);
        continue;
      }
      plan.actions.push({
        kind: 'reopen',
        key: group.key,
        ticket: existing,
        title: rendered.title,
        // The reopening comment names this image; the body changes only with the findings.
        ...(existing.findingsHash === hash ? {} : { body: rendered.body }),
        comment: `${text(group.id, 80)} in ${code(group.packageName)} is reported again by the ECR scan of ${code(where)}: reopening.`,
      });
      continue;
    }
    if (sameText(existing.title, rendered.title) && existing.findingsHash === hash) {
      plan.unchanged += 1;
    } else {
      plan.actions.push({ kind: 'update', key: group.key, ticket: existing, ...rendered });
    }
  }
  if (input.closeFixed) {
    const handled = new Set<number>();
    for (const ticket of ordered) {
      if (ticket.state !== 'open' || handled.has(ticket.number)) continue;
      if (ticket.repository !== input.repository || input.presentKeys.has(ticket.key)) continue;
      handled.add(ticket.number);
      plan.actions.push({
        kind: 'close',
        key: ticket.key,
        ticket,
        comment: `The ECR scan of ${code(where)} no longer reports this finding: closing. It will be reopened if it comes back.`,
      });
    }
  }
  return plan;
}

/** Every issue (open and closed) carrying all the ticket labels and our key marker. */
export async function listTickets(
  octokit: Octokit,
  repo: RepoRef,
  labels: readonly string[],
): Promise<ExistingTicket[]> {
  const issues = await findIssues(octokit, repo, { labels, state: 'all', kind: TICKET_KIND });
  return issues.map((issue) => {
    const ticket: ExistingTicket = { ...issue };
    const repository = readMarker(issue.body, REPOSITORY_KIND);
    if (repository) ticket.repository = repository;
    const hash = readMarker(issue.body, FINDINGS_KIND);
    if (hash) ticket.findingsHash = hash;
    return ticket;
  });
}

export interface TouchedTicket {
  number: number;
  title: string;
  url: string;
}

export interface TicketOutcome {
  opened: TouchedTicket[];
  updated: TouchedTicket[];
  reopened: TouchedTicket[];
  closed: TouchedTicket[];
  deferred: TicketGroup[];
  dismissed: ExistingTicket[];
  unchanged: number;
  /** GitHub write requests made (creates, edits and comments). */
  writes: number;
  /** Writes GitHub refused, one line each: reported as warnings, they never fail the step. */
  refused: string[];
}

function actionLabel(action: TicketAction): string {
  switch (action.kind) {
    case 'create':
      return `opening the ticket '${action.title}'`;
    case 'update':
      return `updating ticket #${action.ticket.number}`;
    case 'reopen':
      return `reopening ticket #${action.ticket.number}`;
    case 'close':
      return `closing ticket #${action.ticket.number}`;
  }
}

function write(octokit: Octokit, repo: RepoRef, action: TicketAction, labels: readonly string[]) {
  switch (action.kind) {
    case 'create':
      return createIssue(octokit, repo, {
        title: action.title,
        body: action.body,
        labels,
        marker: keyMarker(action.key),
      });
    case 'update':
      return updateIssue(octokit, repo, action.ticket, { title: action.title, body: action.body });
    case 'reopen':
      return updateIssue(octokit, repo, action.ticket, {
        state: 'open',
        title: action.title,
        ...(action.body !== undefined ? { body: action.body } : {}),
        comment: action.comment,
      });
    case 'close':
      return updateIssue(octokit, repo, action.ticket, {
        state: 'closed',
        stateReason: 'completed',
        comment: action.comment,
      });
  }
}

/** Applies a plan, one request at a time (GitHub's content-creation limits punish bursts). */
export async function applyTicketPlan(
  octokit: Octokit,
  repo: RepoRef,
  plan: TicketPlan,
  labels: readonly string[],
  log: (message: string) => void = () => {},
): Promise<TicketOutcome> {
  const outcome: TicketOutcome = {
    opened: [],
    updated: [],
    reopened: [],
    closed: [],
    deferred: plan.deferred,
    dismissed: plan.dismissed,
    unchanged: plan.unchanged,
    writes: 0,
    refused: [],
  };
  const verb: Record<IssueWrite['action'], string> = {
    opened: 'Opened',
    updated: 'Updated',
    reopened: 'Reopened',
    closed: 'Closed',
    unchanged: 'Unchanged',
  };
  for (const [index, action] of plan.actions.entries()) {
    let done: IssueWrite;
    try {
      done = await write(octokit, repo, action, labels);
    } catch (err) {
      const status = refusalStatus(err);
      if (status === undefined) throw err;
      outcome.refused.push(`GitHub refused ${actionLabel(action)}: ${describeError(err)}`);
      // 422 is about this one body; any other refusal (permissions, rate limits) meets the rest too.
      if (status === 422) continue;
      const rest = plan.actions.length - index - 1;
      if (rest > 0)
        outcome.refused.push(`${rest} more ticket change${rest === 1 ? '' : 's'} not tried`);
      break;
    }
    outcome.writes += done.writes;
    if (done.action === 'unchanged') outcome.unchanged += 1;
    else outcome[done.action].push({ number: done.number, title: done.title, url: done.url });
    log(`${verb[done.action]} #${done.number}: ${done.title}`);
  }
  return outcome;
}
