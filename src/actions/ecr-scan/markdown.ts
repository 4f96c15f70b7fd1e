/** ecr-scan's share of the Markdown module: the pieces its bodies use, and its budgets. */
export {
  cell,
  code,
  fitRows,
  link,
  notShown,
  plain,
  prose,
  text,
  truncate,
} from '../../lib/markdown.ts';

/** Where we stop adding rows, leaving room under GitHub's BODY_LIMIT for what follows the table. */
export const BODY_BUDGET = 60_000;

export function shortDigest(digest: string | undefined): string | undefined {
  return digest ? digest.replace(/^(sha256:[a-f0-9]{12})[a-f0-9]*$/, '$1') : undefined;
}
