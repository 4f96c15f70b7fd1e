/** Markdown pieces every action's job summary, issue or comment uses. */

/** Text safe inside a table cell: pipes escaped, line breaks folded into spaces. */
export function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code; a backtick inside would end it early, so it becomes a quote. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}
