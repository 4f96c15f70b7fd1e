import { formatDuration } from '../../lib/inputs.ts';
import { cell, code, codeBlock, fitBody, link, text } from '../../lib/markdown.ts';
import { shortTaskDefinition } from '../../lib/task-definition.ts';
import type { RunTaskResult } from './run.ts';

/** A summary line or cell never carries more than this of a log line. */
const MAX_LINE = 500;

const HEADLINE: Record<RunTaskResult['status'], string> = {
  succeeded: '✅ Task of {td} exited 0',
  failed: '❌ Task of {td} failed',
  'timed-out': '⏱️ Task of {td} timed out',
  cancelled: '🛑 Task of {td} cancelled',
};

/** The job summary: the task, how it ended, how long it took, and its last log lines. */
export function renderSummary(result: RunTaskResult): string {
  const td = code(shortTaskDefinition(result.taskDefinitionArn));
  const lines: string[] = [
    `### ${HEADLINE[result.status].replace('{td}', td)} (cluster ${code(result.cluster)})`,
    '',
  ];
  const rows: Array<[string, string]> = [
    ['Task definition', `${td}${result.registered ? ' (registered by this step)' : ''}`],
    [
      'Container',
      `${code(result.container)}${result.command ? ` running ${code(result.command.join(' '))}` : ''}`,
    ],
    ['Exit code', result.exitCode === undefined ? '—' : String(result.exitCode)],
    ['Stopped reason', cell(result.stoppedReason, 500)],
    ['Duration', formatDuration(result.durationSeconds * 1000)],
  ];
  lines.push('| | |', '|---|---|');
  for (const [key, value] of rows) lines.push(`| ${key} | ${value} |`);
  lines.push('');
  if (result.status !== 'succeeded') {
    lines.push(
      `> **${result.status === 'failed' ? 'Failure' : 'Outcome'}:** ${text(result.outcome, 1000)}`,
      '',
    );
  }

  if (result.tasks.length > 0) {
    lines.push('| Task | Status | Exit code | Reason | Log |', '|---|---|---:|---|---|');
    for (const task of result.tasks) {
      const reason = task.action ?? task.containerReason ?? task.stoppedReason ?? '';
      lines.push(
        `| ${code(task.id)} | ${cell(task.lastStatus, 40)} | ${task.exitCode ?? '—'} | ${text(reason, 500)} | ${task.logUrl ? link('CloudWatch Logs', task.logUrl) : '—'} |`,
      );
    }
    lines.push('');
  }

  if (result.lastLines.length > 0) {
    const count = result.lastLines.length;
    lines.push(
      `#### Last ${count === 1 ? 'log line' : `${count} log lines`}`,
      '',
      // MAX_LINE characters of the line, then the `…` that says it goes on.
      codeBlock(result.lastLines, { maxLine: MAX_LINE + 1 }),
      '',
    );
  }
  for (const note of result.notes) lines.push(`- ${text(note, 1000)}`);
  if (result.notes.length > 0) lines.push('');
  return fitBody(lines.join('\n'));
}

/** The summary when the step ends before a run result exists (a refused request, say). */
export function renderErrorSummary(message: string): string {
  return ['### ❌ run-task failed', '', `> ${text(message, 2000)}`, ''].join('\n');
}
