import { escapeCell } from '../../lib/markdown.ts';
import { type Change, formatDiff } from './diff.ts';
import { containersOf, type TaskDefinitionDocument } from './document.ts';

export interface SummaryInput {
  family: string;
  file: string;
  /** `deploy/td.json` or `live revision web:12`. */
  comparedWith: string;
  definition: TaskDefinitionDocument;
  changes: readonly Change[];
  pinned: ReadonlyArray<{ container: string; from: string; to: string }>;
}

/** The job summary: containers and their images, then what the render changed. */
export function renderSummary(input: SummaryInput): string {
  const lines = [
    `### Task definition \`${input.family}\` rendered`,
    '',
    `Written to \`${input.file}\`.`,
    '',
    '| Container | Image | Essential |',
    '| --- | --- | --- |',
  ];
  for (const container of containersOf(input.definition)) {
    const pinned = input.pinned.find((p) => p.container === container.name);
    const image = `\`${escapeCell(String(container.image ?? ''))}\`${pinned ? ` (pinned from \`${escapeCell(pinned.from)}\`)` : ''}`;
    const essential = container.essential === false ? 'no' : 'yes';
    lines.push(`| ${escapeCell(String(container.name ?? ''))} | ${image} | ${essential} |`);
  }
  lines.push('');
  if (input.changes.length === 0) {
    lines.push(`No changes against ${input.comparedWith}.`);
  } else {
    const count = `${input.changes.length} change${input.changes.length === 1 ? '' : 's'}`;
    lines.push(
      `#### ${count} against ${input.comparedWith}`,
      '',
      '```diff',
      ...formatDiff(input.changes),
      '```',
    );
  }
  return `${lines.join('\n')}\n`;
}
