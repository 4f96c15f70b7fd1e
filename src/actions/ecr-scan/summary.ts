import { formatDuration } from '../../lib/inputs.ts';
import { BODY_LIMIT, fitBody, type Row } from '../../lib/markdown.ts';
import { compareFindings, type Finding, SEVERITIES, type SeverityCounts } from './findings.ts';
import { type GateResult, gateLines } from './gate.ts';
import { entryLabel, type IgnoredFinding, type IgnoreEntry } from './ignore.ts';
import { cell, code, fitRows, link, notShown, shortDigest } from './markdown.ts';
import type { CommentOutcome } from './pr-comment.ts';
import type { SettledScan } from './scan.ts';
import { type ImageInfo, imageName, type TicketOutcome, type TouchedTicket } from './tickets.ts';

export interface SummaryInput {
  image: ImageInfo;
  scan: SettledScan;
  counts: SeverityCounts;
  kept: readonly Finding[];
  ignored: readonly IgnoredFinding[];
  /** SUPPRESSED or CLOSED in Amazon Inspector. */
  suppressed: readonly Finding[];
  expired: readonly IgnoreEntry[];
  unmatched: readonly IgnoreEntry[];
  gate: GateResult;
  tickets?: TicketOutcome;
  comment?: CommentOutcome;
  /** GitHub writes that were refused (a comment or ticket not written), one line each. */
  githubProblems?: readonly string[];
  top?: number;
}

const TOP = 20;

/** The package, and where it is in the image when ECR says. */
function packageCell(f: Finding, max?: number): string {
  return f.filePath
    ? `${code(f.packageName, max)} at ${code(f.filePath, max)}`
    : code(f.packageName, max);
}

function settleFact(settle: SettledScan['settle']): string {
  if (settle.settleMs === 0) return 'settle off';
  const waited = formatDuration(settle.waitedMs);
  return settle.settled
    ? `findings settled ${waited} after the scan finished (unchanged for ${formatDuration(settle.settleMs)})`
    : `**findings still changing** when wait-timeout ran out, ${waited} after the scan finished`;
}

// Room for each part of the summary that grows with the scan; the rest is a few lines.
const TOP_BUDGET = 24_000;
const IGNORED_BUDGET = 10_000;
const SUPPRESSED_BUDGET = 6_000;
const IGNORE_FILE_BUDGET = 5_000;
const TICKET_LIST_BUDGET = 3_000;
const DEFERRED_BUDGET = 4_000;

/** Rows under `head` within `budget`, with a line saying how many did not fit. */
function fitted(head: string, rows: readonly Row[], budget: number, where: string): string[] {
  const table = fitRows(head, rows, budget);
  return table.omitted > 0 ? [table.text, '', notShown(table.omitted, where)] : [table.text];
}

const FINDINGS_FILE = 'see the findings file of this run';

function ticketList(title: string, list: readonly TouchedTicket[]): string[] {
  if (list.length === 0) return [];
  return [
    `**${title} (${list.length})**`,
    '',
    ...fitted(
      '',
      list.map((t) => (max: number) => `- ${link(`#${t.number}`, t.url)} ${cell(t.title, max)}`),
      TICKET_LIST_BUDGET,
      'see the issues carrying the ticket labels',
    ),
    '',
  ];
}

/**
 * The job summary: what was scanned, counts, the worst findings, what was ignored, tickets
 * touched. Every field from the scan is rendered by the Markdown module and every list is fitted,
 * so the summary stays within GitHub's size limit whatever the findings hold.
 */
export function renderSummary(input: SummaryInput): string {
  const { scan, image } = input;
  const out: string[] = [];
  out.push(`## ECR scan of ${code(imageName(image))}`, '');
  const facts = [
    `Status **${cell(scan.status, 40)}**`,
    scan.scanner === 'none' ? 'no findings' : `${scan.scanner} scanning`,
    image.digest ? `digest ${code(shortDigest(image.digest))}` : undefined,
    scan.completedAt ? `scanned ${scan.completedAt.toISOString()}` : undefined,
    settleFact(scan.settle),
  ].filter(Boolean);
  out.push(facts.join(' · '), '');
  out.push(
    '| Critical | High | Medium | Low | Informational | Undefined | Total | Ignored | Suppressed |',
  );
  out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  out.push(
    `| ${SEVERITIES.map((s) => input.counts[s]).join(' | ')} | ${input.kept.length + input.ignored.length} | ${input.ignored.length} | ${input.suppressed.length} |`,
    '',
  );
  out.push(
    ...gateLines(input.gate, {
      ignored: input.ignored.length,
      suppressed: input.suppressed.length,
    }),
    '',
  );

  const top = [...input.kept].sort(compareFindings).slice(0, input.top ?? TOP);
  if (top.length > 0) {
    out.push(
      `### Top findings${input.kept.length > top.length ? ` (${top.length} of ${input.kept.length})` : ''}`,
      '',
      ...fitted(
        '| Severity | Vulnerability | Package | Installed | Fixed in | Score |\n|---|---|---|---|---|---:|',
        top.map(
          (f) => (max: number) =>
            `| ${f.severity} | ${link(cell(f.id, Math.min(max, 80)), f.url)} | ${packageCell(f, max)} | ${cell(f.packageVersion, max)} | ${cell(f.fixedInVersion, max)} | ${cell(f.score)} |`,
        ),
        TOP_BUDGET,
        FINDINGS_FILE,
      ),
      '',
    );
  }

  if (input.ignored.length > 0) {
    out.push(
      `### Ignored (${input.ignored.length})`,
      '',
      ...fitted(
        '| Vulnerability | Package | Severity | Reason | Until |\n|---|---|---|---|---|',
        input.ignored.map(
          ({ finding, entry }) =>
            (max: number) =>
              `| ${cell(finding.id, Math.min(max, 80))} | ${packageCell(finding, max)} | ${finding.severity} | ${cell(entry.reason, max)} | ${cell(entry.expires, 40)} |`,
        ),
        IGNORED_BUDGET,
        FINDINGS_FILE,
      ),
      '',
    );
  }
  if (input.suppressed.length > 0) {
    out.push(
      `### Suppressed or closed in Amazon Inspector (${input.suppressed.length})`,
      '',
      'Never counted by the gate, the totals or the tickets.',
      '',
      ...fitted(
        '| Vulnerability | Package | Severity | Inspector status |\n|---|---|---|---|',
        input.suppressed.map(
          (f) => (max: number) =>
            `| ${cell(f.id, Math.min(max, 80))} | ${packageCell(f, max)} | ${f.severity} | ${cell(f.status, 20)} |`,
        ),
        SUPPRESSED_BUDGET,
        FINDINGS_FILE,
      ),
      '',
    );
  }
  if (input.expired.length > 0 || input.unmatched.length > 0) {
    out.push(
      '### Ignore file needs attention',
      ...fitted(
        '',
        [
          ...input.expired.map(
            (e) => (max: number) =>
              `- ${code(entryLabel(e), max)} expired on ${cell(e.expires, 40)} and no longer applies (${cell(e.reason, max)})`,
          ),
          ...input.unmatched.map(
            (e) => (max: number) =>
              `- ${code(entryLabel(e), max)} matches no finding of this image: remove it`,
          ),
        ],
        IGNORE_FILE_BUDGET,
        'see the warnings of this step',
      ),
      '',
    );
  }

  if (input.tickets) {
    const t = input.tickets;
    out.push('### Tickets', '');
    out.push(
      ...ticketList('Opened', t.opened),
      ...ticketList('Updated', t.updated),
      ...ticketList('Reopened', t.reopened),
      ...ticketList('Closed', t.closed),
    );
    if (t.deferred.length > 0) {
      out.push(
        `**Not opened this run (${t.deferred.length})**: \`max-new-tickets\` was reached; they open on the next runs.`,
        ...fitted(
          '',
          t.deferred.map(
            (g) => (max: number) =>
              `- ${cell(g.id, Math.min(max, 80))} in ${code(g.packageName, max)} (${g.severity})`,
          ),
          DEFERRED_BUDGET,
          FINDINGS_FILE,
        ),
        '',
      );
    }
    if (t.dismissed.length > 0) {
      out.push(
        `Left closed as not planned: ${t.dismissed.map((d) => link(`#${d.number}`, d.url)).join(', ')}`,
        '',
      );
    }
    out.push(`${t.unchanged} ticket${t.unchanged === 1 ? '' : 's'} already up to date.`, '');
  }
  if (input.comment) {
    out.push(`PR comment ${input.comment.action}: ${link('view', input.comment.url)}`, '');
  }
  for (const problem of input.githubProblems ?? []) out.push(`> ⚠️ ${cell(problem, 600)}`, '');
  return fitBody(out.join('\n'), BODY_LIMIT);
}
