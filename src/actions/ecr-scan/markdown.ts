/** Small Markdown helpers shared by tickets, the PR comment and the job summary. */
import { code, escapeCell } from '../../lib/markdown.ts';

export { code };

/** Where we stop adding rows, leaving room under GitHub's BODY_LIMIT for what follows the table. */
export const BODY_BUDGET = 60_000;

/** Text safe inside a table cell: no pipes, no line breaks, no HTML comment openers. */
export function cell(text: string | number | undefined, max = 200): string {
  if (text === undefined || text === '') return '—';
  let value = escapeCell(String(text)).replace(/<!--/g, '&lt;!--').trim();
  if (value.length > max) value = `${value.slice(0, max - 1)}…`;
  return value;
}

export function link(text: string, url: string | undefined): string {
  if (!url || !/^https?:\/\//.test(url)) return text;
  return `[${text.replace(/[[\]]/g, '')}](${url.replace(/[()\s]/g, (c) => encodeURIComponent(c))})`;
}

export function shortDigest(digest: string | undefined): string | undefined {
  return digest ? digest.replace(/^(sha256:[a-f0-9]{12})[a-f0-9]*$/, '$1') : undefined;
}

/**
 * Appends table rows until the budget is reached, so a body never exceeds GitHub's limit.
 * Returns the rows that fit and how many were left out.
 */
export function fitRows(
  head: string,
  rows: readonly string[],
  budget: number,
): { text: string; omitted: number } {
  let text = head;
  let count = 0;
  for (const row of rows) {
    if (text.length + row.length + 1 > budget) break;
    text += `\n${row}`;
    count += 1;
  }
  return { text, omitted: rows.length - count };
}

/** Cuts free text to a length, on a character boundary, marking the cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
