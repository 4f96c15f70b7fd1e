import { describe, expect, test } from 'vitest';
import type { Phase } from '../../../src/actions/deploy-budget/phases.ts';
import type { HistoryRecord } from '../../../src/actions/deploy-budget/record.ts';
import {
  detectRegression,
  formatBytes,
  imageGrowth,
  judge,
  median,
  percentile,
  phaseGrowth,
} from '../../../src/actions/deploy-budget/stats.ts';

const rules = { threshold: 0.25, floorSeconds: 30, minSamples: 5 };

function records(durations: number[], extra: (i: number) => Partial<HistoryRecord> = () => ({})) {
  return durations.map((durationSeconds, i) => ({
    at: new Date(Date.UTC(2024, 0, 1 + i)).toISOString(),
    durationSeconds,
    ...extra(i),
  }));
}

describe('median', () => {
  test.each([
    [[], undefined],
    [[7], 7],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[120, 120, 600], 120],
    [[5, 5, 5, 5], 5],
  ])('of %j is %s', (values, expected) => {
    expect(median(values)).toBe(expected);
  });
});

describe('percentile (nearest rank)', () => {
  test.each([
    [[], 90, undefined],
    [[42], 90, 42],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 100], 90, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[3, 1, 2], 100, 3],
    [[3, 1, 2], 0, 1],
  ])('of %j at p%s is %s', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
});

describe('regression detection', () => {
  const steady = [240, 250, 245, 255, 240, 250, 248, 252, 246, 250];

  test.each([
    ['a steady history with an ordinary deploy', steady, 250, false],
    ['a single slow deploy (noise, not a regression)', steady, 600, false],
    ['one slow deploy earlier and one now: two of the last three', [...steady, 600], 600, true],
    ['three slow deploys in a row', [...steady, 400, 410], 405, true],
    ['slow but within the 25% threshold', [...steady, 300, 305], 300, false],
    ['faster deploys', [...steady, 120, 125], 130, false],
  ])('%s → regression %s', (_, previous, current, expected) => {
    expect(detectRegression(previous, current, rules).regression).toBe(expected);
  });

  test('a large relative slowdown under the absolute floor is noise', () => {
    const fast = [20, 21, 20, 19, 20, 21, 20];
    const result = detectRegression([...fast, 40, 42], 41, rules);
    expect(result.judged).toBe(true);
    expect(result.recentMedian).toBe(41);
    expect(result.baselineMedian).toBe(20);
    expect(result.regression).toBe(false);
  });

  test('the same slowdown over the floor is a regression', () => {
    const fast = [20, 21, 20, 19, 20, 21, 20];
    expect(detectRegression([...fast, 60, 62], 61, rules).regression).toBe(true);
  });

  test('with no history there is nothing to judge and no false alarm', () => {
    const result = detectRegression([], 900, rules);
    expect(result).toMatchObject({ regression: false, judged: false, baselineSamples: 0 });
    expect(result.reason).toBe('no earlier deploys recorded yet: nothing to compare with');
  });

  test('fewer than min-samples deploys before the last three are not judged', () => {
    const result = detectRegression([100, 100, 100, 100, 400, 400], 400, rules);
    expect(result.judged).toBe(false);
    expect(result.regression).toBe(false);
    expect(result.reason).toBe(
      '4 of the 5 earlier deploys needed before the last 3 to judge a regression',
    );
  });

  test('exactly min-samples deploys before the last three are enough', () => {
    const result = detectRegression([100, 100, 100, 100, 100, 400, 400], 400, rules);
    expect(result).toMatchObject({ judged: true, regression: true, baselineSamples: 5 });
    expect(result.reason).toBe(
      'median of the last 3 deploys (6m40s) is 5m (300%) slower than the median of the 5 before (1m40s)',
    );
  });

  test('the baseline is a rolling window of the 20 deploys before the last three', () => {
    // Very old, very slow deploys fall out of the window and no longer hide a regression.
    const old = Array.from({ length: 30 }, () => 900);
    const recent = Array.from({ length: 20 }, () => 200);
    const result = detectRegression([...old, ...recent, 300, 300], 300, rules);
    expect(result.baselineMedian).toBe(200);
    expect(result.baselineSamples).toBe(20);
    expect(result.regression).toBe(true);
  });
});

const phase = (name: string, seconds: number, extra: Partial<Phase> = {}): Phase => ({
  name,
  seconds,
  source: 'job',
  ...extra,
});

describe('growth since the median', () => {
  test('names the phase that grew most in seconds, not in percent', () => {
    const previous = records([300, 300, 300], () => ({
      phases: { build: 100, scan: 10, rollout: 180 },
    }));
    const grew = phaseGrowth(
      [phase('build', 130), phase('scan', 30), phase('rollout', 200)],
      previous,
    );
    expect(grew).toEqual({ name: 'build', current: 130, median: 100, delta: 30 });
  });

  test('says nothing when every phase is at or under its median', () => {
    const previous = records([300], () => ({ phases: { build: 100 } }));
    expect(phaseGrowth([phase('build', 90)], previous)).toBeUndefined();
  });

  test('ignores a phase with no history of its own', () => {
    const previous = records([300], () => ({ phases: { build: 100 } }));
    expect(phaseGrowth([phase('brand-new', 500), phase('build', 110)], previous)?.name).toBe(
      'build',
    );
  });

  test('compares the image with the median of earlier sizes that are known', () => {
    const previous = records([1, 1, 1, 1], (i) => (i === 0 ? {} : { imageBytes: 100e6 + i }));
    expect(imageGrowth(150e6, previous)).toEqual({
      name: 'image',
      current: 150e6,
      median: 100e6 + 2,
      delta: 150e6 - 100e6 - 2,
    });
    expect(imageGrowth(150e6, records([1]))).toBeUndefined();
    expect(imageGrowth(undefined, previous)).toBeUndefined();
  });
});

describe('the verdict', () => {
  const base = {
    budgetSeconds: 300,
    phases: [] as Phase[],
    phaseBudgets: [],
    previous: records([240, 250, 245, 255, 240, 250, 248, 252, 246, 250]),
    rules,
  };

  test('a deploy under budget with a steady history exceeds nothing', () => {
    const verdict = judge({ ...base, durationSeconds: 260 });
    expect(verdict).toMatchObject({ overBudget: false, exceeded: false, breaches: [] });
    expect(verdict.regression.regression).toBe(false);
  });

  test('a deploy over budget is over budget even when it is not a regression', () => {
    const verdict = judge({ ...base, budgetSeconds: 240, durationSeconds: 260 });
    expect(verdict.overBudget).toBe(true);
    expect(verdict.exceeded).toBe(true);
    expect(verdict.regression.regression).toBe(false);
    expect(verdict.breaches).toEqual([{ kind: 'deploy', actual: 260, limit: 240 }]);
  });

  test('a deploy exactly at its budget is within it', () => {
    expect(judge({ ...base, durationSeconds: 300 }).overBudget).toBe(false);
  });

  test('a phase over its own budget makes the deploy over budget', () => {
    const verdict = judge({
      ...base,
      durationSeconds: 200,
      phases: [phase('build', 200), phase('scan', 10)],
      phaseBudgets: [
        { phase: 'BUILD', seconds: 120 },
        { phase: 'scan', seconds: 60 },
        { phase: 'lint', seconds: 60 },
      ],
    });
    expect(verdict.breaches).toEqual([{ kind: 'phase', name: 'build', actual: 200, limit: 120 }]);
    expect(verdict.unmatchedPhaseBudgets).toEqual(['lint']);
    expect(verdict.overBudget).toBe(true);
  });

  test('an image over its budget makes the deploy over budget', () => {
    const verdict = judge({
      ...base,
      durationSeconds: 200,
      imageBytes: 350e6,
      imageBudgetBytes: 300e6,
    });
    expect(verdict.breaches).toEqual([{ kind: 'image', actual: 350e6, limit: 300e6 }]);
  });

  test('a regression within budget is still exceeded', () => {
    const verdict = judge({
      ...base,
      budgetSeconds: 600,
      previous: records([240, 250, 245, 255, 240, 250, 248, 252, 246, 250, 400, 410]),
      durationSeconds: 405,
    });
    expect(verdict.overBudget).toBe(false);
    expect(verdict.regression.regression).toBe(true);
    expect(verdict.exceeded).toBe(true);
  });

  test('median and p90 cover the last 20 deploys including this one', () => {
    const previous = records([...Array.from({ length: 30 }, () => 1000), ...Array(19).fill(100)]);
    const verdict = judge({ ...base, previous, durationSeconds: 100, budgetSeconds: 2000 });
    expect(verdict.medianSeconds).toBe(100);
    expect(verdict.p90Seconds).toBe(100);
  });

  test('the first deploy has a median of itself and no alarm', () => {
    const verdict = judge({ ...base, previous: [], durationSeconds: 200 });
    expect(verdict).toMatchObject({ medianSeconds: 200, p90Seconds: 200, exceeded: false });
    expect(verdict.regression.judged).toBe(false);
  });

  test('the slowest phase is a leaf, not the step that contains it', () => {
    const verdict = judge({
      ...base,
      durationSeconds: 200,
      phases: [
        phase('build', 50),
        phase('deploy / Deploy', 120, { source: 'step' }),
        phase('Install', 90, { source: 'deploy', parent: 'deploy / Deploy' }),
        phase('AllowTraffic', 30, { source: 'deploy', parent: 'deploy / Deploy' }),
      ],
    });
    expect(verdict.slowest?.name).toBe('Install');
  });
});

describe('sizes', () => {
  test.each([
    [0, '0 B'],
    [999, '999 B'],
    [1500, '1.5 kB'],
    [300e6, '300 MB'],
    [312_456_789, '312.5 MB'],
    [2.25e9, '2.3 GB'],
    [-40e6, '-40 MB'],
  ])('%s bytes reads %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
