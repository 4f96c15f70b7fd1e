/** Markdown pieces every action's job summary, issue or comment uses. */

/** Text safe inside a table cell: pipes escaped, line breaks folded into spaces. */
export function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code; a backtick inside would end it early, so it becomes a quote. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

/**
 * GitHub refuses an issue or comment body longer than this many characters. A JavaScript string's
 * `length` (UTF-16 units) never counts fewer characters than GitHub does, so comparing `length`
 * with it is safe.
 */
export const BODY_LIMIT = 65_536;

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are what it removes
const ANSI_ESCAPE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/**
 * Untrusted lines as a fenced code block that nothing inside can close: the fence is longer than
 * any run of backticks in the text. Inside it GitHub renders no Markdown, HTML or mentions;
 * terminal colour codes and other control characters are dropped.
 */
export function codeBlock(lines: string[]): string {
  const text = lines.map((line) => line.replace(ANSI_ESCAPE, '').replace(CONTROL, '')).join('\n');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text}\n${fence}`;
}
