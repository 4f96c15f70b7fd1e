import { describe, expect, test } from 'vitest';
import {
  type DeliveryRecord,
  deliveryChart,
  deliveryMetrics,
  renderDeliveryMetrics,
} from '../../../src/actions/deploy-budget/metrics.ts';
import type { HistoryRecord } from '../../../src/actions/deploy-budget/record.ts';

const NOW = Date.parse('2024-06-30T12:00:00Z');
const HOUR = 3600;

/** A deploy ending at `at`, its commit made `leadSeconds` before. */
function deploy(
  at: string,
  outcome?: DeliveryRecord['outcome'],
  leadSeconds?: number,
): DeliveryRecord {
  const record: DeliveryRecord = { at };
  if (outcome) record.outcome = outcome;
  if (leadSeconds !== undefined) {
    record.commitAt = new Date(Date.parse(at) - leadSeconds * 1000).toISOString();
  }
  return record;
}

/**
 * June 2024: two quiet deploys, a bad afternoon (a failure, a rollback, then a fix four hours
 * after the first failure), a two-week gap, and a failure fixed the next day. One deploy from
 * before outcomes were recorded, one from before the window.
 */
const JUNE: DeliveryRecord[] = [
  deploy('2024-05-20T10:00:00Z', 'success', HOUR),
  deploy('2024-06-01T10:00:00Z', 'success', 2 * HOUR),
  deploy('2024-06-02T10:00:00Z', 'success', HOUR),
  deploy('2024-06-05T10:00:00Z', 'failure', HOUR),
  deploy('2024-06-05T12:00:00Z', 'rolled-back', HOUR),
  deploy('2024-06-05T14:00:00Z', 'success', HOUR / 2),
  deploy('2024-06-10T09:00:00Z', undefined, 2 * HOUR),
  deploy('2024-06-20T09:00:00Z', 'success', 24 * HOUR),
  deploy('2024-06-25T09:00:00Z', 'failure'),
  deploy('2024-06-26T09:00:00Z', 'success'),
  deploy('2024-06-29T09:00:00Z', 'success', 3 * HOUR),
];

describe('deliveryMetrics over a month with failures, rollbacks and gaps', () => {
  const metrics = deliveryMetrics('production', JUNE, NOW);

  test('deployment frequency counts deploys that reached production over the 30 days', () => {
    expect(metrics).toMatchObject({
      windowDays: 30,
      coveredDays: 30,
      deploys: 7,
      deploysPerDay: 0.23,
      deploysPerWeek: 1.6,
    });
  });

  test('lead time runs from the commit to the end of its good deploy: median and p90', () => {
    // 30m, 1h, 2h, 2h, 3h, 24h: the failed deploys' commits never reached production.
    expect(metrics.leadTime).toEqual({ medianSeconds: 7200, p90Seconds: 86_400, samples: 6 });
  });

  test('the change failure rate counts failures and rollbacks over deploys with an outcome', () => {
    expect(metrics.changeFailureRate).toEqual({ rate: 0.3333, failed: 3, judged: 9 });
    expect(metrics.unknownOutcome).toBe(1);
  });

  test('time to restore runs from the first failure of a streak to the next good deploy', () => {
    // 4 hours on June 5 (the rollback does not restart the clock), 24 hours on June 25.
    expect(metrics.timeToRestore).toEqual({ medianSeconds: 50_400, samples: 2 });
    expect(metrics.failingSince).toBeUndefined();
  });

  test('the trend has a point for every day, gaps included', () => {
    expect(metrics.trend).toHaveLength(30);
    expect(metrics.trend[0]).toEqual({ date: '2024-06-01', deploys: 1, failures: 0 });
    expect(metrics.trend[4]).toEqual({ date: '2024-06-05', deploys: 1, failures: 2 });
    expect(metrics.trend.slice(10, 19).every((p) => p.deploys === 0 && p.failures === 0)).toBe(
      true,
    );
    expect(metrics.trend.at(-1)).toEqual({ date: '2024-06-30', deploys: 0, failures: 0 });
  });
});

describe('deliveryMetrics edge cases', () => {
  test.each<[string, DeliveryRecord[], Record<string, unknown>]>([
    [
      'no history: no deploys, and no rate invented',
      [],
      { deploys: 0, deploysPerDay: 0, coveredDays: 1, unknownOutcome: 0 },
    ],
    [
      'a history begun 3 days ago is measured over those 3 days, not 30',
      [
        deploy('2024-06-28T10:00:00Z', 'success'),
        deploy('2024-06-29T10:00:00Z', 'success'),
        deploy('2024-06-30T10:00:00Z', 'success'),
      ],
      {
        coveredDays: 3,
        deploys: 3,
        deploysPerDay: 1,
        deploysPerWeek: 7,
        changeFailureRate: { rate: 0, failed: 0, judged: 3 },
      },
    ],
    [
      'a failure not yet fixed: failing since then, no restore time',
      [deploy('2024-06-29T10:00:00Z', 'success'), deploy('2024-06-30T08:00:00Z', 'failure')],
      {
        failingSince: '2024-06-30T08:00:00.000Z',
        changeFailureRate: { rate: 0.5, failed: 1, judged: 2 },
      },
    ],
    [
      'records from before outcomes were kept: counted as deploys, no failure rate claimed',
      [deploy('2024-06-29T10:00:00Z'), deploy('2024-06-30T10:00:00Z')],
      { deploys: 2, unknownOutcome: 2 },
    ],
    [
      'a commit time after the deploy (clock skew, a bad record) is not a lead time',
      [deploy('2024-06-30T10:00:00Z', 'success', -60)],
      { deploys: 1, changeFailureRate: { rate: 0, failed: 0, judged: 1 } },
    ],
    [
      'a streak that began before the window and ended inside it counts its whole length',
      [deploy('2024-05-30T10:00:00Z', 'failure'), deploy('2024-06-02T10:00:00Z', 'success')],
      {
        timeToRestore: { medianSeconds: 3 * 86_400, samples: 1 },
        // The failure itself fell before the window: only the fix is judged in it.
        changeFailureRate: { rate: 0, failed: 0, judged: 1 },
      },
    ],
    [
      'a deploy recorded in the future (clock skew) is ignored',
      [deploy('2024-07-01T10:00:00Z', 'failure'), deploy('2024-06-30T10:00:00Z', 'success')],
      { deploys: 1, changeFailureRate: { rate: 0, failed: 0, judged: 1 } },
    ],
  ])('%s', (_name, records, expected) => {
    const metrics = deliveryMetrics('staging', records, NOW);
    expect(metrics).toMatchObject(expected);
    for (const key of ['leadTime', 'changeFailureRate', 'timeToRestore', 'failingSince']) {
      if (!(key in expected)) expect(metrics).not.toHaveProperty(key);
    }
  });

  test('records in any order read the same as in order', () => {
    const shuffled = [...JUNE].reverse();
    expect(deliveryMetrics('production', shuffled, NOW)).toEqual(
      deliveryMetrics('production', JUNE, NOW),
    );
  });

  test("the history's own records (today without outcome or commit time) are accepted as they are", () => {
    const existing: HistoryRecord[] = [
      { at: '2024-06-30T10:00:00Z', durationSeconds: 240, sha: 'abc', runId: '7' },
    ];
    expect(deliveryMetrics('production', existing, NOW)).toMatchObject({
      deploys: 1,
      unknownOutcome: 1,
    });
  });
});

describe('the delivery section', () => {
  test('a table of the four metrics and the trend chart', () => {
    const text = renderDeliveryMetrics(deliveryMetrics('production', JUNE, NOW));
    expect(text).toContain('### Delivery metrics: `production`');
    expect(text).toContain(
      '| Deployment frequency | 0.23 a day, 1.6 a week (7 deploys over 30 days) |',
    );
    expect(text).toContain('| Lead time for changes | 2h median, 24h p90 (6 deploys) |');
    expect(text).toContain(
      '| Change failure rate | 33.3% (3 of 9 deploys failed or were rolled back) |',
    );
    expect(text).toContain('| Time to restore | 14h median (2 restores) |');
    expect(text).toContain('1 deploy recorded without an outcome is left out of the failure rate.');
    expect(text).toContain('```mermaid');
  });

  test('metrics the history cannot support say what is missing', () => {
    const text = renderDeliveryMetrics(
      deliveryMetrics('production', [deploy('2024-06-30T10:00:00Z')], NOW),
    );
    expect(text).toContain(
      '| Lead time for changes | not recorded: no deploy has its commit time |',
    );
    expect(text).toContain('| Change failure rate | not recorded: no deploy has its outcome |');
    expect(text).toContain('| Time to restore | no failed deploy followed by a good one |');
    expect(text).toContain('| 1 a day, 7 a week (1 deploy over the 1 day recorded) |');
  });

  test('the chart draws good deploys as bars and failures as a line, one label per day', () => {
    const chart = deliveryChart(deliveryMetrics('production', JUNE, NOW))!;
    const lines = chart.split('\n');
    expect(lines[0]).toBe('```mermaid');
    expect(lines).toContain('  title "Deploys per day, production (last 30 days)"');
    const x = lines.find((l) => l.startsWith('  x-axis'))!;
    expect(x.startsWith('  x-axis ["06-01", "06-02", "06-03"')).toBe(true);
    expect(new Set(x.match(/"\d\d-\d\d"/g)).size).toBe(30);
    expect(lines).toContain('  y-axis "deploys" 0 --> 3');
    const bar = lines.find((l) => l.startsWith('  bar'))!;
    expect(bar).toBe(
      '  bar [1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0]',
    );
    expect(lines.find((l) => l.startsWith('  line'))).toBe(
      '  line [0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]',
    );
  });

  test('one day is not a trend: no chart', () => {
    expect(
      deliveryChart(deliveryMetrics('production', [deploy('2024-06-30T10:00:00Z')], NOW)),
    ).toBe(undefined);
  });
});
