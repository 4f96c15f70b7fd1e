import { describe, expect, test } from 'vitest';
import { durationChart, imageChart } from '../../../src/actions/deploy-budget/chart.ts';

describe('the duration chart', () => {
  test('draws each deploy as a bar, newest right, with the budget as a line', () => {
    const chart = durationChart(
      [{ seconds: 240 }, { seconds: 250.04 }, { seconds: 330 }],
      300,
      'production',
    );
    expect(chart).toBe(
      [
        '```mermaid',
        'xychart-beta',
        '  title "Deploy duration, production (last 3)"',
        '  x-axis ["-2", "-1", "now"]',
        '  y-axis "seconds" 0 --> 363',
        '  bar [240, 250, 330]',
        '  line [300, 300, 300]',
        '```',
      ].join('\n'),
    );
  });

  test('the axis makes room for the budget when every deploy is well under it', () => {
    expect(durationChart([{ seconds: 60 }], 300, 'staging')).toContain(
      'y-axis "seconds" 0 --> 330',
    );
  });

  test('switches to minutes for long deploys', () => {
    const chart = durationChart([{ seconds: 1500 }, { seconds: 1800 }], 1200, 'production');
    expect(chart).toContain('y-axis "minutes" 0 --> 33');
    expect(chart).toContain('bar [25, 30]');
    expect(chart).toContain('line [20, 20]');
  });

  test('quotes in an environment name cannot break the chart', () => {
    expect(durationChart([{ seconds: 1 }], 2, 'a"b')).toContain(
      `title "Deploy duration, a'b (last 1)"`,
    );
  });
});

describe('the image chart', () => {
  test('shows the deploys whose size is known, in MB, with the image budget', () => {
    const chart = imageChart(
      [{ seconds: 1, imageBytes: 250e6 }, { seconds: 1 }, { seconds: 1, imageBytes: 312.46e6 }],
      300e6,
      'production',
    );
    expect(chart).toBe(
      [
        '```mermaid',
        'xychart-beta',
        '  title "Image size, production"',
        '  x-axis ["-2", "now"]',
        '  y-axis "MB" 0 --> 344',
        '  bar [250, 312.5]',
        '  line [300, 300]',
        '```',
      ].join('\n'),
    );
  });

  test('uses the unit the largest image fills, so small images are not drawn as zero', () => {
    const chart = imageChart(
      [
        { seconds: 1, imageBytes: 6035 },
        { seconds: 1, imageBytes: 47_418 },
      ],
      20_000,
      'production',
    );
    expect(chart).toContain('  y-axis "kB" 0 --> 53');
    expect(chart).toContain('  bar [6, 47.4]');
    expect(chart).toContain('  line [20, 20]');
    expect(
      imageChart(
        [
          { seconds: 1, imageBytes: 3e9 },
          { seconds: 1, imageBytes: 2e9 },
        ],
        undefined,
        'p',
      ),
    ).toContain('bar [3, 2]');
  });

  test('is left out when fewer than two sizes are known', () => {
    expect(
      imageChart([{ seconds: 1 }, { seconds: 1, imageBytes: 5 }], undefined, 'p'),
    ).toBeUndefined();
  });

  test('has no budget line without an image budget', () => {
    const chart = imageChart(
      [
        { seconds: 1, imageBytes: 1e6 },
        { seconds: 1, imageBytes: 2e6 },
      ],
      undefined,
      'p',
    );
    expect(chart).not.toContain('line');
  });
});
