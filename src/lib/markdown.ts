// The one way text reaches a GitHub body (a job summary, an issue, a comment). Text from outside
// (scan findings, registry content, ECS events, file contents, inputs) goes through `text`,
// `cell`, `code`, `prose` or `codeBlock`: each keeps it on the lines it was given, cut to a
// length, with nothing in it that renders as Markdown structure, HTML, a link, an image, math,
// a mention or an issue reference. Tables are filled with `fitRows`, which shortens a long row
// and leaves out what does not fit with a count; `fitBody` is the last guard on a whole body.
// The Markdown we write ourselves (headings, bold, our links) is written around these.

/**
 * GitHub refuses an issue or comment body longer than this many characters. A JavaScript string's
 * `length` (UTF-16 units) never counts fewer characters than GitHub does, so comparing `length`
 * with it is safe. Job summaries are kept under it too.
 */
export const BODY_LIMIT = 65_536;

/** How much of one untrusted field a body shows by default. */
export const FIELD_MAX = 200;

/** How much of each field a row keeps when it is shortened to fit. */
const FIELD_SHORT = 40;

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are what it removes
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
const LINE_BREAK = /\r\n|[\n\v\f\r\u0085\u2028\u2029]/g;
// Controls (tab and line breaks are dealt with apart) and the bidirectional overrides that make
// text read in another order than it is written.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const INVISIBLE = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const BLANK_LINE =
  /(?:\r\n|[\n\v\f\r\u0085\u2028\u2029])[^\S\r\n]*(?:\r\n|[\n\v\f\r\u0085\u2028\u2029])/;
const ZERO_WIDTH_JOINER = '\u200d';

/** `text` cut to `max` characters (code points, never half a surrogate pair), marked with `…`. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

function clean(value: unknown): string {
  if (value === undefined || value === null) return '';
  return String(value).replace(ANSI_ESCAPE, '').replace(INVISIBLE, '');
}

/** One line: line breaks and tabs as spaces, controls dropped, cut to `max`. */
function oneLine(value: unknown, max: number): string {
  return truncate(clean(value).replace(LINE_BREAK, ' ').replace(/\t/g, ' ').trim(), max);
}

/**
 * Untrusted text where GitHub renders nothing (an issue title) or in a line of ours in the log or
 * an annotation: one line, controls dropped, cut to `max`.
 */
export function plain(value: unknown, max = FIELD_MAX): string {
  return oneLine(value, max);
}

/**
 * Untrusted text inline: one line of at most `max` characters that renders as exactly those
 * characters. HTML and entities are escaped (`<img>` shows as text), Markdown punctuation that
 * could open a link, an image, code, a table cell, bold or math is backslash-escaped, a
 * leading `# `, `- `, `+ `, `---` or `1. ` cannot start a block, and `@name`, `#123`, `http://`
 * and `www.` get a zero-width joiner so GitHub notifies no one, cross-references no issue and
 * turns no bare address into a link.
 */
export function text(value: unknown, max = FIELD_MAX): string {
  return oneLine(value, max)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*[\]|$]/g, '\\$&')
    .replace(/^([-+_](?=[\s_-]|$)|#(?=[\s#]|$))/, '\\$1')
    .replace(/^(\d{1,9})([.)])(?=\s|$)/, '$1\\$2')
    .replace(/@(?=[\p{L}\p{N}_-])|#(?=\p{N})/gu, `$&${ZERO_WIDTH_JOINER}`)
    .replace(/(?<=\b(?:https?|ftp))(?=:\/\/)|(?<=\bwww)(?=\.)/giu, ZERO_WIDTH_JOINER);
}

/** Untrusted text as a table cell: `text`, or `—` when there is none. */
export function cell(value: unknown, max = FIELD_MAX): string {
  const shown = text(value, max);
  return shown === '' ? '—' : shown;
}

/**
 * Untrusted text as an inline code span, shown character for character (GitHub renders no
 * Markdown, HTML or mention inside one): on one line, cut to `max`, fenced by a backtick run
 * longer than any inside it, and with `|` escaped so a table row keeps its cells (the escape
 * shows as `\|` outside a table).
 */
export function code(value: unknown, max = FIELD_MAX): string {
  const shown = oneLine(value, max).replace(
    /(\\*)\|/g,
    // cmark-gfm reads `\\` as one escaped backslash: an odd run before the pipe needs one more.
    (_, slashes: string) => `${slashes}${slashes.length % 2 === 1 ? '\\' : ''}\\|`,
  );
  if (shown === '') return '` `';
  const longest = Math.max(0, ...[...shown.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  // A span may start or end with a backtick only when padded by a space, which CommonMark drops.
  const pad = /^`|`$/.test(shown) ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}

/**
 * Untrusted text of several paragraphs (a vulnerability's description): paragraphs kept, each on
 * one line and escaped as `text`, the whole cut to `max` characters.
 */
export function prose(value: unknown, max: number): string {
  return truncate(clean(value).trim(), max)
    .split(BLANK_LINE)
    .map((paragraph) => text(paragraph, max))
    .filter((paragraph) => paragraph !== '')
    .join('\n\n');
}

/**
 * Untrusted lines as a fenced code block that nothing inside can close: the fence is longer than
 * any run of backticks in the text. Inside it GitHub renders no Markdown, HTML or mentions;
 * terminal colour codes and other control characters are dropped and each line is cut to
 * `maxLine` characters. `info` names the highlighting (`diff` colours `+` and `-` lines).
 */
export function codeBlock(
  lines: readonly string[],
  { maxLine = 500, info = 'text' }: { maxLine?: number; info?: 'text' | 'diff' } = {},
): string {
  const body = lines
    .flatMap((line) => clean(line).split(LINE_BREAK))
    .map((line) => truncate(line, maxLine))
    .join('\n');
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${body}\n${fence}`;
}

const URL_MAX = 2000;

/**
 * `label` (Markdown already made safe) linked to `url` when that is an http(s) URL of sane
 * length; the label alone otherwise, so no other scheme (javascript:, data:) becomes a link.
 */
export function link(label: string, url: string | undefined): string {
  if (!url || url.length > URL_MAX || !/^https?:\/\/[^\s/]/i.test(url)) return label;
  const target = url.replace(
    /[\s()<>"'`[\]\\]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
  return `[${label}](${target})`;
}

/** Markdown of our own in a table cell: pipes escaped, line breaks folded into spaces. */
export function escapeCell(markdown: string): string {
  return markdown.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * A table row: given how many characters each untrusted field may show, its Markdown. A row
 * that does not fit at full width is rendered again with shorter fields.
 */
export type Row = string | ((fieldMax: number) => string);

export interface FittedRows {
  /** `head` and the rows that fit, one per line. */
  text: string;
  shown: number;
  /** Rows left out to stay within the budget. */
  omitted: number;
}

/**
 * Appends rows to `head` while the text stays within `budget` characters. A row too long for
 * what is left is shortened (its fields cut to FIELD_SHORT) rather than ending the table; one
 * that still does not fit is left out and counted, and the rows after it are still tried.
 */
export function fitRows(head: string, rows: readonly Row[], budget: number): FittedRows {
  const parts = [head];
  let length = head.length;
  let shown = 0;
  for (const row of rows) {
    const room = budget - length - 1;
    let line = typeof row === 'string' ? row : row(FIELD_MAX);
    if (line.length > room && typeof row === 'function') line = row(FIELD_SHORT);
    if (line.length > room) continue;
    parts.push(line);
    length += line.length + 1;
    shown += 1;
  }
  return { text: parts.join('\n'), shown, omitted: rows.length - shown };
}

/** The line that says how many rows a table leaves out, and where the rest can be read. */
export function notShown(omitted: number, where: string): string {
  return `_… ${omitted.toLocaleString('en-US')} more not shown to stay within GitHub's size limit: ${where}._`;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * The last guard on a whole body: one within `limit` is returned as it is; a longer one is cut
 * at a line break, an open code fence closed, and a line added that says so. Bodies are built to
 * fit (capped fields, fitRows), so this only catches what a renderer did not foresee.
 */
export function fitBody(body: string, limit = BODY_LIMIT): string {
  if (body.length <= limit) return body;
  const note = '\n\n_… cut here to stay within GitHub’s size limit._';
  const reserve = note.length + 200;
  let cut = body.slice(0, limit - reserve);
  // At a line break when one is near; inside one very long line otherwise, whole characters kept.
  const lastBreak = cut.lastIndexOf('\n');
  if (lastBreak > cut.length - 2000) cut = cut.slice(0, lastBreak);
  else if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  let open: string | undefined;
  for (const line of cut.split('\n')) {
    const fence = FENCE.exec(line)?.[1];
    if (!fence) continue;
    if (open === undefined) open = fence;
    else if (fence[0] === open[0] && fence.length >= open.length) open = undefined;
  }
  return `${cut}${open ? `\n${open}` : ''}${note}`;
}
