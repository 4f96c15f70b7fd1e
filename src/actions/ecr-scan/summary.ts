import { formatDuration } from '../../lib/inputs.ts';
import { compareFindings, type Finding, SEVERITIES, type SeverityCounts } from './findings.ts';
import { type GateResult, gateLines } from './gate.ts';
import { entryLabel, type IgnoredFinding, type IgnoreEntry } from './ignore.ts';
import { cell, code, link, shortDigest } from './markdown.ts';
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
  top?: number;
}

const TOP = 20;
const LISTED = 100;

/** The package, and where it is in the image when ECR says. */
function packageCell(f: Finding): string {
  // A path comes from the image: its pipes and line breaks must not break the table.
  return f.filePath ? `${code(f.packageName)} at ${code(cell(f.filePath))}` : code(f.packageName);
}

function settleFact(settle: SettledScan['settle']): string {
  if (settle.settleMs === 0) return 'settle off';
  const waited = formatDuration(settle.waitedMs);
  return settle.settled
    ? `findings settled ${waited} after the scan finished (unchanged for ${formatDuration(settle.settleMs)})`
    : `**findings still changing** when wait-timeout ran out, ${waited} after the scan finished`;
}

function ticketList(title: string, list: readonly TouchedTicket[]): string[] {
  if (list.length === 0) return [];
  return [
    `**${title} (${list.length})**`,
    '',
    ...list.map((t) => `- ${link(`#${t.number}`, t.url)} ${cell(t.title)}`),
    '',
  ];
}

/** The job summary: what was scanned, counts, the worst findings, what was ignored, tickets touched. */
export function renderSummary(input: SummaryInput): string {
  const { scan, image } = input;
  const out: string[] = [];
  out.push(`## ECR scan of ${code(imageName(image))}`, '');
  const facts = [
    `Status **${scan.status}**`,
    scan.scanner === 'none' ? 'no findings' : `${scan.scanner} scanning`,
    image.digest ? `digest ${code(shortDigest(image.digest)!)}` : undefined,
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
    );
    out.push(
      '| Severity | Vulnerability | Package | Installed | Fixed in | Score |',
      '|---|---|---|---|---|---:|',
    );
    for (const f of top) {
      out.push(
        `| ${f.severity} | ${link(cell(f.id, 80), f.url)} | ${packageCell(f)} | ${cell(f.packageVersion)} | ${cell(f.fixedInVersion)} | ${cell(f.score)} |`,
      );
    }
    out.push('');
  }

  if (input.ignored.length > 0) {
    out.push(
      `### Ignored (${input.ignored.length})`,
      '',
      '| Vulnerability | Package | Severity | Reason | Until |',
      '|---|---|---|---|---|',
    );
    for (const { finding, entry } of input.ignored) {
      out.push(
        `| ${cell(finding.id)} | ${packageCell(finding)} | ${finding.severity} | ${cell(entry.reason)} | ${entry.expires} |`,
      );
    }
    out.push('');
  }
  if (input.suppressed.length > 0) {
    out.push(
      `### Suppressed or closed in Amazon Inspector (${input.suppressed.length})`,
      '',
      'Never counted by the gate, the totals or the tickets.',
      '',
      '| Vulnerability | Package | Severity | Inspector status |',
      '|---|---|---|---|',
    );
    for (const f of input.suppressed.slice(0, LISTED)) {
      out.push(`| ${cell(f.id)} | ${packageCell(f)} | ${f.severity} | ${f.status} |`);
    }
    if (input.suppressed.length > LISTED)
      out.push('', `… and ${input.suppressed.length - LISTED} more in the findings file.`);
    out.push('');
  }
  if (input.expired.length > 0 || input.unmatched.length > 0) {
    out.push('### Ignore file needs attention', '');
    for (const e of input.expired)
      out.push(
        `- ${code(entryLabel(e))} expired on ${e.expires} and no longer applies (${cell(e.reason)})`,
      );
    for (const e of input.unmatched)
      out.push(`- ${code(entryLabel(e))} matches no finding of this image: remove it`);
    out.push('');
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
        '',
      );
      for (const g of t.deferred.slice(0, 50))
        out.push(`- ${cell(g.id)} in ${code(g.packageName)} (${g.severity})`);
      if (t.deferred.length > 50) out.push(`- … and ${t.deferred.length - 50} more`);
      out.push('');
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
  return out.join('\n');
}
