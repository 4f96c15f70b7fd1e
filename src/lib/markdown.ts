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
