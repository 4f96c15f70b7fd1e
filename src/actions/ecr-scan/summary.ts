import {
  atOrAbove,
  compareFindings,
  type Finding,
  type Level,
  SEVERITIES,
  type SeverityCounts,
} from './findings.ts';
import { entryLabel, type IgnoredFinding, type IgnoreEntry } from './ignore.ts';
import { cell, code, link, shortDigest } from './markdown.ts';
import type { CommentOutcome } from './pr-comment.ts';
import type { ScanResult } from './scan.ts';
import { type ImageInfo, imageName, type TicketOutcome, type TouchedTicket } from './tickets.ts';

export interface SummaryInput {
  image: ImageInfo;
  scan: ScanResult;
  counts: SeverityCounts;
  kept: readonly Finding[];
  ignored: readonly IgnoredFinding[];
  expired: readonly IgnoreEntry[];
  unmatched: readonly IgnoreEntry[];
  failOn: Level | 'none';
  failing: readonly Finding[];
  tickets?: TicketOutcome;
  comment?: CommentOutcome;
  top?: number;
}

const TOP = 20;

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
  ].filter(Boolean);
  out.push(facts.join(' · '), '');
  out.push('| Critical | High | Medium | Low | Informational | Undefined | Total | Ignored |');
  out.push('|---:|---:|---:|---:|---:|---:|---:|---:|');
  out.push(
    `| ${SEVERITIES.map((s) => input.counts[s]).join(' | ')} | ${scan.findings.length} | ${input.ignored.length} |`,
    '',
  );

  if (input.failOn === 'none')
    out.push('The step does not fail on findings (`fail-on: none`).', '');
  else if (input.failing.length === 0) {
    out.push(`✅ No findings at or above ${input.failOn.toUpperCase()} that are not ignored.`, '');
  } else {
    out.push(
      `❌ **${input.failing.length} finding${input.failing.length === 1 ? '' : 's'} at or above ${input.failOn.toUpperCase()}** that ${input.failing.length === 1 ? 'is' : 'are'} not ignored.`,
      '',
    );
  }

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
        `| ${f.severity} | ${link(cell(f.id, 80), f.url)} | ${code(f.packageName)} | ${cell(f.packageVersion)} | ${cell(f.fixedInVersion)} | ${cell(f.score)} |`,
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
        `| ${cell(finding.id)} | ${code(finding.packageName)} | ${finding.severity} | ${cell(entry.reason)} | ${entry.expires} |`,
      );
    }
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

export function failingFindings(kept: readonly Finding[], failOn: Level | 'none'): Finding[] {
  if (failOn === 'none') return [];
  return kept.filter((f) => atOrAbove(f.severity, failOn)).sort(compareFindings);
}

/** The one-line failure message: how many, at which level, and the first few ids. */
export function failureMessage(
  failing: readonly Finding[],
  failOn: Level,
  image: ImageInfo,
): string {
  const ids = [...new Set(failing.map((f) => f.id))];
  const shown = ids.slice(0, 5).join(', ');
  const more = ids.length > 5 ? ` and ${ids.length - 5} more` : '';
  return `${failing.length} finding${failing.length === 1 ? '' : 's'} at or above ${failOn.toUpperCase()} in ${imageName(image)} (fail-on: ${failOn}): ${shown}${more}. Fix them or add them to the ignore file with a reason and an expiry date.`;
}
