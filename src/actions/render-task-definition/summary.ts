import { cell, code, codeBlock, fitBody, fitRows, notShown, text } from '../../lib/markdown.ts';
import { type Change, formatDiff } from './diff.ts';
import { containersOf, type TaskDefinitionDocument } from './document.ts';
import { INPUT } from './names.ts';

export interface SummaryInput {
  family: string;
  file: string;
  /** `deploy/td.json` or `live revision web:12`. */
  comparedWith: string;
  definition: TaskDefinitionDocument;
  changes: readonly Change[];
  pinned: ReadonlyArray<{ container: string; from: string; to: string }>;
  /** `show-values`: print environment values, labels, commands and log options in the diff. */
  showValues: boolean;
}

const DIFF_LINES = 400;

/**
 * The job summary: containers and their images, then what the render changed. Values a
 * container runs with (environment, labels, command, log options) are named, not shown, unless
 * `show-values` asks for them.
 */
export function renderSummary(input: SummaryInput): string {
  const lines = [
    `### Task definition ${code(input.family)} rendered`,
    '',
    `Written to ${code(input.file, 500)}.`,
    '',
  ];
  const rows = containersOf(input.definition).map((container) => (max: number) => {
    const pinned = input.pinned.find((p) => p.container === container.name);
    const image = `${code(container.image ?? '', max)}${pinned ? ` (pinned from ${code(pinned.from, max)})` : ''}`;
    const essential = container.essential === false ? 'no' : 'yes';
    return `| ${cell(container.name, max)} | ${image} | ${essential} |`;
  });
  lines.push(
    fitRows('| Container | Image | Essential |\n| --- | --- | --- |', rows, 10_000).text,
    '',
  );
  const compared = text(input.comparedWith, 300);
  if (input.changes.length === 0) {
    lines.push(`No changes against ${compared}.`);
  } else {
    const diff = formatDiff(input.changes, input.showValues);
    const count = `${diff.changed} change${diff.changed === 1 ? '' : 's'}`;
    const shown = diff.lines.slice(0, DIFF_LINES);
    lines.push(`#### ${count} against ${compared}`, '', codeBlock(shown, { info: 'diff' }));
    if (diff.lines.length > shown.length) {
      lines.push('', notShown(diff.lines.length - shown.length, 'compare the rendered file'));
    }
    if (diff.hidden > 0) {
      lines.push(
        '',
        `Values of environment variables, labels, commands and log options are not shown; set \`${INPUT.showValues}: true\` to show them.`,
      );
    }
  }
  return `${fitBody(lines.join('\n'))}\n`;
}
