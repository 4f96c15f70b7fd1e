import { formatDuration } from '../../lib/inputs.ts';
import { escapeCell } from '../../lib/markdown.ts';
import { shortTaskDefinition } from '../../lib/task-definition.ts';
import { formatElapsed } from './progress.ts';
import type { DeployResult } from './types.ts';

function headline(result: DeployResult, target: string): string {
  const td = `\`${shortTaskDefinition(result.taskDefinitionArn)}\``;
  if (result.failure) return `### ❌ Deploy of ${td} to ${target} failed`;
  if (result.unchanged) return `### ⏭️ ${target} already runs ${td}`;
  if (result.waitUntil === 'none') return `### 🚀 Started the deploy of ${td} to ${target}`;
  return `### ✅ Deployed ${td} to ${target} (${result.waitUntil})`;
}

/** The job summary: what was deployed, how it went, how long each phase took. */
export function renderSummary(result: DeployResult, target: string): string {
  const lines: string[] = [headline(result, `\`${target}\``), ''];
  const deployment = result.links.find((l) => l.title.startsWith('CodeDeploy deployment'));
  const deploymentCell = result.deploymentId
    ? deployment
      ? `[${result.deploymentId}](${deployment.url})`
      : `\`${result.deploymentId}\``
    : '—';
  const rows: Array<[string, string]> = [
    [
      'Controller',
      `${result.controller === 'CODE_DEPLOY' ? 'CodeDeploy' : 'ECS'} · ${result.strategy}`,
    ],
    ['Deployment', deploymentCell],
    ['Status', result.status],
    [
      'Waited for',
      `${result.waitUntil}${result.waitUntil === 'none' ? '' : result.reached ? ' (reached)' : ' (not reached)'}`,
    ],
    ['Duration', formatDuration(result.durationSeconds * 1000)],
    ['Rolled back', result.rolledBack ? '**yes**' : 'no'],
  ];
  lines.push('| | |', '|---|---|');
  for (const [key, value] of rows) lines.push(`| ${key} | ${escapeCell(value)} |`);
  lines.push('');
  if (result.failure) lines.push(`> **Failure:** ${escapeCell(result.failure)}`, '');

  if (result.phases.length > 0) {
    lines.push('#### Phases', '', '| Phase | Started | Ended | Duration |', '|---|---|---|---:|');
    for (const phase of result.phases) {
      lines.push(
        `| ${phase.name} | ${phase.startedAt} | ${phase.endedAt} | ${formatDuration(phase.seconds * 1000)} |`,
      );
    }
    lines.push('');
  }

  if (result.traffic.length > 0) {
    const labels = [...new Set(result.traffic.flatMap((p) => Object.keys(p.weights)))];
    const origin = new Date(result.traffic[0]!.at).getTime();
    lines.push(
      '#### Traffic shift',
      '',
      `| Time | ${labels.join(' | ')} |`,
      `|---|${labels.map(() => '---:').join('|')}|`,
    );
    for (const point of result.traffic) {
      const offset = formatElapsed(new Date(point.at).getTime() - origin);
      const cells = labels.map((l) =>
        point.weights[l] === undefined ? '' : `${point.weights[l]}%`,
      );
      lines.push(`| +${offset} | ${cells.join(' | ')} |`);
    }
    lines.push('');
  }

  for (const note of result.notes) lines.push(`- ${escapeCell(note)}`);
  if (result.notes.length > 0) lines.push('');
  if (result.links.length > 0) {
    lines.push(result.links.map((l) => `[${l.title}](${l.url})`).join(' · '), '');
  }
  return lines.join('\n');
}
