import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { getInputs, parsePercent } from '../../../src/actions/deploy-budget/inputs.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';

const workspace = mkdtempSync(path.join(tmpdir(), 'deploy-budget-inputs-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function read(values: Record<string, string>) {
  return getInputs(mapInputs({ 'github-token': 't', ...values }), workspace);
}

describe('deploy-budget inputs', () => {
  test('only a budget is needed; everything else has the documented default', () => {
    const inputs = read({ budget: '5m' });
    expect(inputs).toMatchObject({
      budgetSeconds: 300,
      phaseBudgets: [],
      phases: [],
      environment: 'production',
      history: { kind: 'deployments' },
      regressionThreshold: 0.25,
      minSamples: 5,
      floorSeconds: 30,
      onExceeded: 'warn',
    });
    expect(inputs.startedAt).toBeUndefined();
    expect(inputs.image).toBeUndefined();
  });

  test.each([
    ['5m', 300],
    ['90s', 90],
    ['1h30m', 5400],
    ['2m30s', 150],
    ['1.5m', 90],
  ])('a budget of %s is %i seconds', (budget, seconds) => {
    expect(read({ budget }).budgetSeconds).toBe(seconds);
  });

  test('phase budgets are read per line', () => {
    expect(
      read({ budget: '5m', 'phase-budgets': 'build=3m\n# the rollout\nInstall = 90s\n' })
        .phaseBudgets,
    ).toEqual([
      { phase: 'build', seconds: 180 },
      { phase: 'Install', seconds: 90 },
    ]);
  });

  test('the deploy action output is accepted as phases', () => {
    const phases = JSON.stringify([
      {
        name: 'Install',
        startedAt: '2024-05-01T12:00:00Z',
        endedAt: '2024-05-01T12:02:00Z',
        seconds: 120,
      },
    ]);
    expect(read({ budget: '5m', phases }).phases).toMatchObject([
      { name: 'Install', seconds: 120 },
    ]);
  });

  test('a file history is resolved against the workspace', () => {
    expect(read({ budget: '5m', history: 'file:.github/deploy-history.json' }).history).toEqual({
      kind: 'file',
      path: '.github/deploy-history.json',
      file: path.join(workspace, '.github/deploy-history.json'),
    });
  });

  test('an ECR image names its account and region; a bare one is a repository name', () => {
    expect(
      read({ budget: '5m', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:v1.2.0' })
        .image,
    ).toEqual({
      reference: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:v1.2.0',
      repositoryName: 'team/web',
      imageId: { imageTag: 'v1.2.0' },
      registryId: '123456789012',
      region: 'eu-west-1',
    });
    expect(read({ budget: '5m', image: 'web' }).image).toMatchObject({
      repositoryName: 'web',
      imageId: { imageTag: 'latest' },
    });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(read({ budget: '5m', image: `127.0.0.1:5000/web:v1@${digest}` }).image).toMatchObject({
      repositoryName: 'web',
      imageId: { imageDigest: digest },
    });
  });

  test('started-at is an ISO time', () => {
    expect(read({ budget: '5m', 'started-at': '2024-05-01T12:00:00Z' }).startedAt).toBe(
      Date.UTC(2024, 4, 1, 12),
    );
  });

  test('waiting-since is an ISO time, and only with started-at, up to which the wait lasts', () => {
    expect(
      read({
        budget: '5m',
        'started-at': '2024-05-01T12:00:00Z',
        'waiting-since': '2024-05-01T11:45:00Z',
      }).waitingSince,
    ).toBe(Date.UTC(2024, 4, 1, 11, 45));
    expect(() => read({ budget: '5m', 'waiting-since': '2024-05-01T11:45:00Z' })).toThrow(
      'waiting-since: needs started-at: the wait lasts until the measured deploy starts, and is left out of the budget',
    );
  });

  test('a size budget is read in decimal or binary units', () => {
    expect(read({ budget: '5m', image: 'web:1', 'image-budget': '300MB' }).imageBudgetBytes).toBe(
      300e6,
    );
    expect(read({ budget: '5m', image: 'web:1', 'image-budget': '1GiB' }).imageBudgetBytes).toBe(
      1024 ** 3,
    );
  });

  test.each([
    [{ budget: '' }, 'budget: is required'],
    [{ budget: '300' }, "budget: must be a duration like 90s, 15m or 1h30m, got '300'"],
    [{ budget: '0s' }, 'budget: must be longer than 0s'],
    [
      { 'phase-budgets': 'build=soon' },
      "phase-budgets: 'build' must be a duration like 90s, 15m or 1h30m, got 'soon'",
    ],
    [
      { 'phase-budgets': 'build' },
      "phase-budgets: line 1: expected KEY=VALUE, got a line with no '='",
    ],
    [{ 'phase-budgets': 'build=1m\nbuild=2m' }, "phase-budgets: line 2: duplicate key 'build'"],
    [{ phases: '{"name": "x"}' }, 'phases: must be a JSON list'],
    [{ phases: '[{"name": "x"' }, 'phases: invalid JSON/YAML'],
    [
      { 'started-at': 'last tuesday' },
      "started-at: must be an ISO 8601 time with a zone, like 2024-05-01T12:00:00Z, got 'last tuesday'",
    ],
    [{ 'started-at': '2024-05-01T12:00:00' }, 'started-at: must be an ISO 8601 time with a zone'],
    [{ environment: 'prod<!-- x -->' }, 'environment: must be an environment name without'],
    [{ history: 'redis' }, "history: must be 'deployments' or 'file:<path>', got 'redis'"],
    [{ history: 'file:' }, "history: 'file:' needs a path"],
    [{ image: 'Web:v1' }, "image: invalid repository name 'Web'"],
    [{ 'image-budget': '300MB' }, 'image-budget: needs the image input'],
    [
      { image: 'web:1', 'image-budget': 'big' },
      "image-budget: must be a size like 300MB, 10GB or 512MiB, got 'big'",
    ],
    [
      { 'regression-threshold': '0.25' },
      "regression-threshold: must be a percentage like 25%, got '0.25'",
    ],
    [{ 'min-samples': '0' }, 'min-samples: must be between 1 and 1000, got 0'],
    [{ floor: 'a bit' }, 'floor: must be a duration'],
    [{ 'on-exceeded': 'panic' }, "on-exceeded: must be one of warn, fail, issue, got 'panic'"],
    [{ 'aws-max-attempts': '50' }, 'aws-max-attempts: must be a whole number from 1 to 20'],
  ])('%j is refused: %s', (values, message) => {
    expect(() => read({ budget: '5m', ...values })).toThrow(message);
  });

  test('a history path that is a directory is refused', () => {
    mkdirSync(path.join(workspace, 'dir'), { recursive: true });
    expect(() => read({ budget: '5m', history: 'file:dir' })).toThrow('history: not a file: dir');
  });

  test('phases may come from a JSON file in the workspace', () => {
    writeFileSync(path.join(workspace, 'phases.json'), '[{"name": "Install", "seconds": 12}]');
    expect(read({ budget: '5m', phases: 'phases.json' }).phases[0]?.seconds).toBe(12);
  });
});

describe('percentages', () => {
  test.each([
    ['25%', 0.25],
    ['12.5%', 0.125],
    ['0%', 0],
    ['150 %', 1.5],
  ])('%s is %s', (raw, value) => {
    expect(parsePercent('regression-threshold', raw)).toBe(value);
  });
});
