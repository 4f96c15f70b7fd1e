import { code, fitBody, text } from '../../lib/markdown.ts';
import { durationChart, imageChart } from './chart.ts';
import type { IssueOutcome } from './issue.ts';
import { findPhase, type Phase } from './phases.ts';
import type { HistoryRecord } from './record.ts';
import {
  describeBreach,
  formatBytes,
  formatSeconds,
  median,
  type Verdict,
  WINDOW,
} from './stats.ts';

/** Everything one run measured and decided: what the summary, the issue and the outputs show. */
export interface BudgetReport {
  environment: string;
  durationSeconds: number;
  budgetSeconds: number;
  /** ISO 8601: where the measurement starts. */
  startedAt: string;
  phases: Phase[];
  phaseBudgets: ReadonlyArray<{ phase: string; seconds: number }>;
  image?: string;
  imageBytes?: number;
  imageBudgetBytes?: number;
  /** Earlier deploys, oldest first. */
  previous: HistoryRecord[];
  verdict: Verdict;
  historyDescription: string;
  runUrl?: string;
  issue?: IssueOutcome;
}

function signed(seconds: number): string {
  return `${seconds < 0 ? '-' : '+'}${formatSeconds(Math.abs(seconds))}`;
}

/** Every reason the deploy exceeded its budget, one line each. */
export function exceededReasons(report: BudgetReport): string[] {
  const reasons = report.verdict.breaches.map(describeBreach);
  if (report.verdict.regression.regression) {
    reasons.push(`regression: ${report.verdict.regression.reason}`);
  }
  return reasons;
}

export function headline(report: BudgetReport): string {
  const { durationSeconds: took, budgetSeconds: budget } = report;
  const share = Math.round((took / budget) * 100);
  if (took > budget) {
    return `**Over budget**: this deploy took **${formatSeconds(took)}** against a budget of **${formatSeconds(budget)}** (${signed(took - budget)}).`;
  }
  const rest = report.verdict.overBudget ? ', but another budget was exceeded:' : '.';
  return `**Within budget**: this deploy took **${formatSeconds(took)}** of its **${formatSeconds(budget)}** budget (${share}%)${rest}`;
}

function regressionLine(report: BudgetReport): string {
  const { regression } = report.verdict;
  if (report.previous.length === 0) {
    return `No history yet: this is the first deploy recorded for ${code(report.environment)}, so there is nothing to compare with and no regression is judged.`;
  }
  if (!regression.judged) return `Regression not judged: ${regression.reason}.`;
  return regression.regression
    ? `**Regression**: the ${regression.reason}.`
    : `No regression: the ${regression.reason}.`;
}

function totalsTable(report: BudgetReport): string[] {
  const { verdict } = report;
  const lines = [
    `| | This deploy | Budget | Median (last ${WINDOW}) | p90 (last ${WINDOW}) |`,
    '|---|---:|---:|---:|---:|',
    `| Deploy | ${formatSeconds(report.durationSeconds)} | ${formatSeconds(report.budgetSeconds)} | ${formatSeconds(verdict.medianSeconds)} | ${formatSeconds(verdict.p90Seconds)} |`,
  ];
  if (report.imageBytes !== undefined) {
    const sizes = [...report.previous.slice(-(WINDOW - 1)), { imageBytes: report.imageBytes }]
      .map((r) => r.imageBytes)
      .filter((b) => b !== undefined);
    lines.push(
      `| Image | ${formatBytes(report.imageBytes)} | ${report.imageBudgetBytes === undefined ? '' : formatBytes(report.imageBudgetBytes)} | ${formatBytes(median(sizes)!)} | |`,
    );
  }
  return lines;
}

function phaseTable(report: BudgetReport): string[] {
  if (report.phases.length === 0) return [];
  const budgets = new Map<string, number>();
  for (const { phase, seconds } of report.phaseBudgets) {
    const found = findPhase(report.phases, phase);
    if (found) budgets.set(found.name, seconds);
  }
  const rows = report.phases.map((phase) => {
    const earlier = report.previous
      .slice(-WINDOW)
      .map((r) => r.phases?.[phase.name])
      .filter((s) => s !== undefined);
    const typical = median(earlier);
    const budget = budgets.get(phase.name);
    const over = budget !== undefined && phase.seconds > budget ? ' (over)' : '';
    const name = phase.parent ? `↳ ${text(phase.name, 100)}` : text(phase.name, 100);
    const budgetCell =
      phase.source === 'wait' ? 'not counted' : budget === undefined ? '' : formatSeconds(budget);
    return `| ${name} | ${formatSeconds(phase.seconds)}${over} | ${budgetCell} | ${typical === undefined ? '' : formatSeconds(typical)} | ${typical === undefined ? '' : signed(phase.seconds - typical)} |`;
  });
  return [
    '| Phase | Took | Budget | Median before | Change |',
    '|---|---:|---:|---:|---:|',
    ...rows,
  ];
}

function findings(report: BudgetReport): string[] {
  const { verdict } = report;
  const lines: string[] = [];
  if (verdict.slowest) {
    lines.push(
      `- Slowest phase: ${code(verdict.slowest.name)} (${formatSeconds(verdict.slowest.seconds)}).`,
    );
  }
  const grew = verdict.phaseGrowth;
  if (grew) {
    lines.push(
      `- Grew most since the median: ${code(grew.name)}, ${formatSeconds(grew.current)} against a median of ${formatSeconds(grew.median)} before it (${signed(grew.delta)}).`,
    );
  } else if (report.previous.some((r) => r.phases)) {
    lines.push('- No phase is slower than its median.');
  }
  const image = verdict.imageGrowth;
  if (image) {
    const change =
      image.delta > 0
        ? `grew by ${formatBytes(image.delta)}`
        : image.delta < 0
          ? `shrank by ${formatBytes(-image.delta)}`
          : 'is unchanged';
    lines.push(
      `- Image size ${change}: ${formatBytes(image.current)} against a median of ${formatBytes(image.median)} before it.`,
    );
  }
  for (const key of verdict.unmatchedPhaseBudgets) {
    lines.push(`- The phase budget for ${code(key)} matches no measured phase.`);
  }
  return lines;
}

function issueLine(outcome: IssueOutcome | undefined): string[] {
  if (outcome?.refused) return [`> ⚠️ ${text(outcome.refused, 600)}`];
  if (!outcome?.issue || outcome.action === 'none') return [];
  const link = `[#${outcome.issue.number}](${outcome.issue.url})`;
  return [`Tracking issue ${link} ${outcome.action}.`];
}

/** The job summary: verdict, tables, findings and the charts of the last WINDOW deploys. */
export function renderSummary(report: BudgetReport): string {
  const points = [
    ...report.previous.slice(-(WINDOW - 1)),
    { durationSeconds: report.durationSeconds, imageBytes: report.imageBytes },
  ].map((r) => ({ seconds: r.durationSeconds, imageBytes: r.imageBytes }));
  // The headline covers the whole deploy and the regression line the trend; list the rest.
  const breaches = report.verdict.breaches.filter((b) => b.kind !== 'deploy').map(describeBreach);
  const sections = [
    `## Deploy budget: ${text(report.environment)}`,
    headline(report),
    breaches.map((b) => `- Over budget: ${b}`).join('\n'),
    regressionLine(report),
    totalsTable(report).join('\n'),
    phaseTable(report).join('\n'),
    findings(report).join('\n'),
    points.length === 1 ? '### This deploy' : `### Last ${points.length} deploys`,
    durationChart(points, report.budgetSeconds, report.environment),
    imageChart(points, report.imageBudgetBytes, report.environment) ?? '',
    issueLine(report.issue).join('\n'),
    `<sub>History: ${report.historyDescription}, ${report.previous.length} earlier deploy${report.previous.length === 1 ? '' : 's'} for ${code(report.environment)}. Measured from ${report.startedAt}.</sub>`,
  ];
  return `${fitBody(sections.filter((s) => s !== '').join('\n\n'))}\n`;
}

/** The tracking issue's body (its marker is added by the issue module). */
export function renderIssueBody(report: BudgetReport): string {
  const reasons = exceededReasons(report);
  const run = report.runUrl ? ` in [this run](${report.runUrl})` : '';
  return [
    `Deploys to ${code(report.environment)} exceed their budget. Latest measurement${run}:`,
    reasons.map((r) => `- ${r}`).join('\n'),
    totalsTable(report).join('\n'),
    phaseTable(report).join('\n'),
    findings(report).join('\n'),
    '_Kept up to date by the deploy-budget action on every deploy; it closes this issue when deploys are back under budget with no regression._',
  ]
    .filter((s) => s !== '')
    .join('\n\n');
}

export function recoveredComment(report: BudgetReport): string {
  const run = report.runUrl ? ` ([run](${report.runUrl}))` : '';
  return `Back under budget: the latest deploy took ${formatSeconds(report.durationSeconds)} of its ${formatSeconds(report.budgetSeconds)} budget, with no regression${run}. Closing.`;
}

export function exceededAgainComment(report: BudgetReport): string {
  const run = report.runUrl ? ` ([run](${report.runUrl}))` : '';
  return `Exceeded again${run}: ${exceededReasons(report).join('; ')}.`;
}

/** One line for the deployment status (GitHub keeps 140 characters). */
export function statusDescription(report: BudgetReport): string {
  const over = report.verdict.overBudget ? 'over budget' : 'within budget';
  return `Took ${formatSeconds(report.durationSeconds)} of a ${formatSeconds(report.budgetSeconds)} budget: ${over}${report.verdict.regression.regression ? ', regression' : ''}`;
}
