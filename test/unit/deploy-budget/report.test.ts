import { describe, expect, test } from 'vitest';
import type { Phase } from '../../../src/actions/deploy-budget/phases.ts';
import type { HistoryRecord } from '../../../src/actions/deploy-budget/record.ts';
import {
  type BudgetReport,
  renderIssueBody,
  renderSummary,
  statusDescription,
} from '../../../src/actions/deploy-budget/report.ts';
import { judge } from '../../../src/actions/deploy-budget/stats.ts';
import { renderGitHub } from '../../harness/github-markdown.ts';

const rules = { threshold: 0.25, floorSeconds: 30, minSamples: 5 };

function history(durations: number[], extra: (i: number) => Partial<HistoryRecord> = () => ({})) {
  return durations.map((durationSeconds, i) => ({
    at: new Date(Date.UTC(2024, 0, i + 1)).toISOString(),
    durationSeconds,
    ...extra(i),
  }));
}

function report(over: {
  durationSeconds: number;
  previous?: HistoryRecord[];
  phases?: Phase[];
  phaseBudgets?: Array<{ phase: string; seconds: number }>;
  imageBytes?: number;
  imageBudgetBytes?: number;
}): BudgetReport {
  const base = {
    budgetSeconds: 300,
    phases: over.phases ?? [],
    phaseBudgets: over.phaseBudgets ?? [],
    previous: over.previous ?? [],
    durationSeconds: over.durationSeconds,
    ...(over.imageBytes !== undefined ? { imageBytes: over.imageBytes } : {}),
    ...(over.imageBudgetBytes !== undefined ? { imageBudgetBytes: over.imageBudgetBytes } : {}),
  };
  return {
    ...base,
    environment: 'production',
    startedAt: '2024-05-01T12:00:00.000Z',
    verdict: judge({ ...base, rules }),
    historyDescription: 'GitHub deployments',
    runUrl: 'https://github.com/acme/web/actions/runs/9',
  };
}

const phases: Phase[] = [
  { name: 'build', seconds: 110, source: 'job' },
  { name: 'deploy / Deploy', seconds: 150, source: 'step' },
  { name: 'Install', seconds: 120, source: 'deploy', parent: 'deploy / Deploy' },
];

describe('the job summary', () => {
  test('the first deploy says there is no history and raises no alarm', () => {
    const summary = renderSummary(report({ durationSeconds: 100 }));
    expect(summary).toContain(
      '**Within budget**: this deploy took **1m40s** of its **5m** budget (33%).',
    );
    expect(summary).toContain(
      'No history yet: this is the first deploy recorded for `production`, so there is nothing to compare with and no regression is judged.',
    );
    expect(summary).not.toMatch(/Regression\*\*|Over budget/);
    expect(summary).toContain('### This deploy');
  });

  test('an over-budget deploy shows the overrun, each phase, the slowest and what grew', () => {
    const previous = history([240, 250, 245, 255, 240, 250, 248], () => ({
      phases: { build: 100, 'deploy / Deploy': 120, Install: 90 },
    }));
    const summary = renderSummary(
      report({
        durationSeconds: 330,
        previous,
        phases,
        phaseBudgets: [{ phase: 'Build', seconds: 90 }],
      }),
    );
    expect(summary).toContain(
      '**Over budget**: this deploy took **5m30s** against a budget of **5m** (+30s).',
    );
    expect(summary).toContain(
      "- Over budget: phase 'build' took 1m50s, over its 1m30s budget by 20s",
    );
    expect(summary).toContain(
      'No regression: the median of the last 3 deploys (4m10s) is 5s (2%) slower than the median of the 5 before (4m5s).',
    );
    expect(summary).toContain('| Deploy | 5m30s | 5m | 4m9s | 5m30s |');
    expect(summary).toContain('| build | 1m50s (over) | 1m30s | 1m40s | +10s |');
    expect(summary).toContain('| ↳ Install | 2m |  | 1m30s | +30s |');
    expect(summary).toContain('- Slowest phase: `Install` (2m).');
    expect(summary).toContain(
      '- Grew most since the median: `Install`, 2m against a median of 1m30s before it (+30s).',
    );
    expect(summary).toContain('### Last 8 deploys');
    expect(summary).toContain('  bar [240, 250, 245, 255, 240, 250, 248, 330]');
    expect(summary).toContain('  line [300, 300, 300, 300, 300, 300, 300, 300]');
  });

  test('image size growth is reported with its own chart', () => {
    const previous = history([200, 200, 200], (i) => ({ imageBytes: 200e6 + i * 10e6 }));
    const summary = renderSummary(
      report({ durationSeconds: 200, previous, imageBytes: 280e6, imageBudgetBytes: 300e6 }),
    );
    expect(summary).toContain('| Image | 280 MB | 300 MB | 215 MB | |');
    expect(summary).toContain(
      '- Image size grew by 70 MB: 280 MB against a median of 210 MB before it.',
    );
    expect(summary).toContain('title "Image size, production"');
    expect(summary).toContain('  bar [200, 210, 220, 280]');
  });

  test('a regression within budget is named', () => {
    const previous = history([200, 205, 195, 200, 210, 190, 200, 260, 270]);
    const summary = renderSummary(report({ durationSeconds: 280, previous }));
    expect(summary).toContain('**Within budget**');
    expect(summary).toContain(
      '**Regression**: the median of the last 3 deploys (4m30s) is 1m10s (35%) slower than the median of the 7 before (3m20s).',
    );
  });

  test('the chart covers the last 20 deploys only', () => {
    const previous = history(Array.from({ length: 40 }, (_, i) => 100 + i));
    const summary = renderSummary(report({ durationSeconds: 200, previous }));
    expect(summary).toContain('### Last 20 deploys');
    expect(summary).toContain(
      '  bar [121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 200]',
    );
  });
});

describe('the tracking issue body', () => {
  test('lists every reason, links the run and says how it closes', () => {
    const body = renderIssueBody(
      report({ durationSeconds: 400, imageBytes: 350e6, imageBudgetBytes: 300e6 }),
    );
    expect(body).toContain(
      'Deploys to `production` exceed their budget. Latest measurement in [this run](https://github.com/acme/web/actions/runs/9):',
    );
    expect(body).toContain(
      '- deploy took 6m40s, over its 5m budget by 1m40s\n- image is 350 MB, over its 300 MB budget by 50 MB',
    );
    expect(body).toContain('closes this issue when deploys are back under budget');
  });
});

describe('the deployment status', () => {
  test('fits in one short line', () => {
    const description = statusDescription(report({ durationSeconds: 400 }));
    expect(description).toBe('Took 6m40s of a 5m budget: over budget');
    expect(description.length).toBeLessThanOrEqual(140);
  });
});

describe('text from the workflow run and GitHub in the summary and issue', () => {
  const hostile: Phase[] = [
    { name: 'build\n## Forged | @org/team <img src=x>', seconds: 400, source: 'job' },
    { name: 'deploy', seconds: 30, source: 'job' },
  ];

  test('job and phase names render as text in their cells, mentioning no one', () => {
    const previous = history([100, 110, 120, 130, 140, 150], () => ({
      phases: { deploy: 30 },
    }));
    for (const body of [
      renderSummary(report({ durationSeconds: 430, phases: hostile, previous })),
      renderIssueBody(report({ durationSeconds: 430, phases: hostile, previous })),
    ]) {
      const rendered = renderGitHub(body);
      expect(rendered.headings.join(' ')).not.toContain('Forged');
      expect(rendered.mentions).toEqual([]);
      expect(rendered.images).toEqual([]);
      expect(rendered.html).toContain(
        '<td>build ## Forged | @\u200dorg/team &lt;img src=x&gt;</td>',
      );
    }
  });

  test('a tracking issue GitHub refused is said in the summary', () => {
    const summary = renderSummary({
      ...report({ durationSeconds: 400 }),
      issue: { action: 'none', refused: 'tracking issue: GitHub refused it: 403' },
    });
    expect(summary).toContain('> ⚠️ tracking issue: GitHub refused it: 403');
  });
});
