import { describe, expect, test } from 'vitest';
import {
  approvalWait,
  findPhase,
  jobPhases,
  mergePhases,
  type Phase,
  parseDeployPhases,
  phasesSince,
  slowestPhase,
  type WorkflowJob,
} from '../../../src/actions/deploy-budget/phases.ts';

describe("the deploy action's phases", () => {
  test('are read in the shape the deploy action writes', () => {
    const phases = parseDeployPhases('phases', [
      {
        name: 'Install',
        startedAt: '2024-05-01T12:01:00.000Z',
        endedAt: '2024-05-01T12:03:30.000Z',
        seconds: 150,
      },
      { name: 'AllowTraffic', startedAt: '2024-05-01T12:03:30Z', endedAt: '2024-05-01T12:03:45Z' },
      { name: 'Bake', seconds: 60.5 },
    ]);
    expect(phases.map((p) => [p.name, p.seconds, p.source])).toEqual([
      ['Install', 150, 'deploy'],
      ['AllowTraffic', 15, 'deploy'],
      ['Bake', 60.5, 'deploy'],
    ]);
  });

  test.each([
    [
      { name: 'x' },
      'phases: must be a JSON list of {name, startedAt, endedAt, seconds}, got an object',
    ],
    [[42], 'phases: item 1: must be an object, got 42'],
    [[{ seconds: 3 }], "phases: item 1: 'name' must be a non-empty string, got undefined"],
    [
      [{ name: 'Install', seconds: '3' }],
      "phases: item 1 (Install): 'seconds' must be a number of seconds (0 or more), got '3'",
    ],
    [
      [{ name: 'Install', seconds: -1 }],
      "phases: item 1 (Install): 'seconds' must be a number of seconds (0 or more), got -1",
    ],
    [
      [
        { name: 'ok', seconds: 1 },
        { name: 'Install', startedAt: 'yesterday', seconds: 1 },
      ],
      "phases: item 2 (Install): 'startedAt' must be an ISO 8601 time like 2024-05-01T12:00:00Z, got 'yesterday'",
    ],
    [
      [{ name: 'Install', startedAt: '2024-05-01T12:00:00Z' }],
      "phases: item 1 (Install): needs 'seconds', or both 'startedAt' and 'endedAt'",
    ],
    [
      [{ name: 'Install', startedAt: '2024-05-01T12:00:10Z', endedAt: '2024-05-01T12:00:00Z' }],
      "phases: item 1 (Install): 'endedAt' is before 'startedAt'",
    ],
  ])('%j is refused with one line', (value, message) => {
    expect(() => parseDeployPhases('phases', value)).toThrow(message);
  });
});

const t = (minute: number, second = 0) =>
  `2024-05-01T12:${String(minute).padStart(2, '0')}:${String(second).padStart(2, '0')}Z`;

const jobs: WorkflowJob[] = [
  {
    name: 'build',
    status: 'completed',
    conclusion: 'success',
    started_at: t(0),
    completed_at: t(3),
  },
  {
    name: 'lint',
    status: 'completed',
    conclusion: 'skipped',
    started_at: t(0),
    completed_at: t(0),
  },
  {
    name: 'scan',
    status: 'completed',
    conclusion: 'success',
    started_at: t(3, 5),
    completed_at: t(4, 5),
  },
  {
    name: 'deploy',
    status: 'in_progress',
    started_at: t(4, 10),
    steps: [
      {
        name: 'Set up job',
        status: 'completed',
        conclusion: 'success',
        started_at: t(4, 10),
        completed_at: t(4, 12),
      },
      {
        name: 'Deploy',
        status: 'completed',
        conclusion: 'success',
        started_at: t(4, 12),
        completed_at: t(8, 12),
      },
      {
        name: 'Smoke test',
        status: 'completed',
        conclusion: 'skipped',
        started_at: t(8, 12),
        completed_at: t(8, 12),
      },
      { name: 'Deploy budget', status: 'in_progress', started_at: t(8, 13) },
    ],
  },
];

describe("the workflow run's jobs", () => {
  test('finished jobs count whole and the running job counts by its finished steps', () => {
    expect(jobPhases(jobs).map((p) => [p.name, p.seconds, p.source])).toEqual([
      ['build', 180, 'job'],
      ['scan', 60, 'job'],
      ['deploy / Set up job', 2, 'step'],
      ['deploy / Deploy', 240, 'step'],
    ]);
  });
});

describe('merging both sources', () => {
  const deploy = parseDeployPhases('phases', [
    { name: 'Install', startedAt: '2024-05-01T12:04:12.400Z', endedAt: '2024-05-01T12:07:00Z' },
    {
      name: 'AllowTraffic',
      startedAt: '2024-05-01T12:07:00Z',
      endedAt: '2024-05-01T12:08:12.700Z',
    },
  ]);

  test('places deploy phases under the step that ran them, in the order things happened', () => {
    const merged = mergePhases(deploy, jobPhases(jobs));
    expect(merged.map((p) => [p.name, p.parent])).toEqual([
      ['build', undefined],
      ['scan', undefined],
      ['deploy / Set up job', undefined],
      ['deploy / Deploy', undefined],
      ['Install', 'deploy / Deploy'],
      ['AllowTraffic', 'deploy / Deploy'],
    ]);
    expect(slowestPhase(merged)?.name).toBe('build');
  });

  test('places them under a finished job when the deploy ran in another job', () => {
    const run = jobPhases([
      {
        name: 'rollout',
        status: 'completed',
        conclusion: 'success',
        started_at: t(4),
        completed_at: t(9),
      },
    ]);
    expect(mergePhases(deploy, run).map((p) => [p.name, p.parent])).toEqual([
      ['rollout', undefined],
      ['Install', 'rollout'],
      ['AllowTraffic', 'rollout'],
    ]);
  });

  test('keeps deploy phases with no container, and without times, as they came', () => {
    const loose = parseDeployPhases('phases', [{ name: 'Stabilize', seconds: 30 }]);
    expect(
      mergePhases(loose, jobPhases(jobs))
        .map((p) => p.name)
        .at(-1),
    ).toBe('Stabilize');
  });

  test('gives a repeated name a number so budgets and history can tell them apart', () => {
    const twice = parseDeployPhases('phases', [
      { name: 'build', seconds: 1 },
      { name: 'build', seconds: 2 },
    ]);
    expect(mergePhases(twice, jobPhases(jobs)).map((p) => p.name)).toContain('build (3)');
  });
});

describe('finding a phase by its budget key', () => {
  const merged = mergePhases([], jobPhases(jobs));
  test.each([
    ['build', 'build'],
    ['BUILD', 'build'],
    ['deploy / Deploy', 'deploy / Deploy'],
    ['deploy', 'deploy / Deploy'],
    ['Deploy', 'deploy / Deploy'],
    ['set up job', 'deploy / Set up job'],
    ['nothing', undefined],
  ])('%s finds %s', (key, name) => {
    expect(findPhase(merged, key)?.name).toBe(name);
  });
});

describe('the wait before the measured job', () => {
  const at = (time: string) => Date.parse(`2024-05-01T${time}Z`);

  test('is one phase from the gate opening to the job starting, which no slowest-phase counts', () => {
    const wait = approvalWait(at('12:00:00'), at('12:25:00'));
    expect(wait).toEqual({
      name: 'Approval wait',
      seconds: 1500,
      startedAt: '2024-05-01T12:00:00.000Z',
      endedAt: '2024-05-01T12:25:00.000Z',
      source: 'wait',
    });
    const deploy = { name: 'Install', seconds: 60, source: 'deploy' as const };
    expect(slowestPhase([wait as Phase, deploy])?.name).toBe('Install');
  });

  test('is nothing when two runners’ clocks put the start a little before the wait', () => {
    expect(approvalWait(at('12:00:30'), at('12:00:00'))).toBeUndefined();
    expect(approvalWait(at('12:02:00'), at('12:00:00'))).toEqual({
      problem: '2024-05-01T12:02:00.000Z is after started-at (2024-05-01T12:00:00.000Z)',
    });
  });

  test('leaves out the jobs that ended before the measurement started', () => {
    const job = (name: string, end: string) => ({
      name,
      seconds: 60,
      endedAt: `2024-05-01T${end}Z`,
      source: 'job' as const,
    });
    expect(
      phasesSince(
        [job('build', '11:50:00'), job('scan', '12:00:00'), job('smoke test', '12:04:00')],
        at('12:00:00'),
      ).map((p) => p.name),
    ).toEqual(['smoke test']);
  });
});
