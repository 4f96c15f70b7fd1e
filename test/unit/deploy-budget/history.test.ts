import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import {
  DEPLOYMENT_TASK,
  deploymentsHistory,
  FILE_LIMIT,
  fileHistory,
  PAYLOAD_KEY,
  READ_LIMIT,
} from '../../../src/actions/deploy-budget/history.ts';
import { normalizeHistory, toRecord } from '../../../src/actions/deploy-budget/record.ts';
import { createOctokit } from '../../../src/lib/github.ts';
import { type FakeGitHub, startFakeGitHub } from './fake-github.ts';

const repo = { owner: 'acme', repo: 'web' };
const at = (day: number) => new Date(Date.UTC(2024, 0, day)).toISOString();
const context = { sha: 'abc123', description: 'Took 4m of a 5m budget: within budget' };

describe('records', () => {
  test.each([
    [null, 'is not an object'],
    [{ durationSeconds: 3 }, "'at' must be an ISO 8601 time"],
    [{ at: at(1), durationSeconds: 'slow' }, "'durationSeconds' must be a number of seconds"],
    [{ at: at(1), durationSeconds: 3, imageBytes: -1 }, "'imageBytes' must be a number of bytes"],
    [
      { at: at(1), durationSeconds: 3, phases: { build: 'x' } },
      "phase 'build' must be a number of seconds",
    ],
  ])('%j is not a record: %s', (value, problem) => {
    expect(toRecord(value)).toEqual({ problem });
  });

  test('history is oldest first, one record per run, without the run being measured', () => {
    const history = normalizeHistory(
      [
        { at: at(3), durationSeconds: 3, runId: '7' },
        { at: at(1), durationSeconds: 1, runId: '5' },
        { at: at(2), durationSeconds: 2, runId: '5' },
        { at: at(4), durationSeconds: 4, runId: '9' },
        { at: at(5), durationSeconds: 5 },
      ],
      '9',
    );
    expect(history.map((r) => r.durationSeconds)).toEqual([2, 3, 5]);
  });
});

describe('the GitHub deployments history', () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await startFakeGitHub();
    vi.stubEnv('GITHUB_API_URL', github.url);
  });
  afterEach(async () => {
    await github.close();
  });
  const octokit = () => createOctokit('t0ken', { writeIntervalMs: 0 });

  test('records a deploy as a deployment with the record in its payload and a success status', async () => {
    const history = deploymentsHistory(octokit(), repo);
    await history.append(
      'production',
      { at: at(1), durationSeconds: 240, runId: '42' },
      { ...context, logUrl: 'https://github.com/acme/web/actions/runs/42' },
    );
    expect(github.deployments).toHaveLength(1);
    const [deployment] = github.deployments;
    expect(deployment).toMatchObject({
      environment: 'production',
      task: DEPLOYMENT_TASK,
      ref: 'abc123',
      payload: { [PAYLOAD_KEY]: { at: at(1), durationSeconds: 240, runId: '42' } },
    });
    expect(deployment!.statuses).toEqual([
      {
        state: 'success',
        description: 'Took 4m of a 5m budget: within budget',
        log_url: 'https://github.com/acme/web/actions/runs/42',
      },
    ]);
  });

  test('reads back only its own environment and records, across pages', async () => {
    const history = deploymentsHistory(octokit(), repo);
    const deployment = (id: number, environment: string, payload: unknown) => ({
      id,
      environment,
      task: DEPLOYMENT_TASK,
      ref: 'x',
      payload,
      created_at: at(1),
      statuses: [],
    });
    for (let day = 1; day <= 120; day++) {
      const environment = day % 2 ? 'production' : 'staging';
      github.deployments.push(
        deployment(day, environment, { [PAYLOAD_KEY]: { at: at(day), durationSeconds: day } }),
      );
    }
    // A newer first page of deployments made by something else in the same environment.
    for (let id = 200; id < 300; id++) {
      github.deployments.push(deployment(id, 'production', { somethingElse: true }));
    }
    const records = await history.read('production');
    expect(records).toHaveLength(READ_LIMIT);
    expect(records[0]!.durationSeconds).toBe(119);
    expect(records.every((r) => r.durationSeconds % 2 === 1)).toBe(true);
    expect(github.requests.filter((r) => r.startsWith('GET'))).toHaveLength(2);
  });

  test('reads a payload GitHub returns as a JSON string', async () => {
    github.deployments.push({
      id: 1,
      environment: 'production',
      task: DEPLOYMENT_TASK,
      ref: 'x',
      payload: JSON.stringify({ [PAYLOAD_KEY]: { at: at(1), durationSeconds: 61 } }),
      created_at: at(1),
      statuses: [],
    });
    expect(await deploymentsHistory(octokit(), repo).read('production')).toEqual([
      { at: at(1), durationSeconds: 61 },
    ]);
  });

  test('a token without deployments access is told which permission it needs', async () => {
    github.failures.set('GET /repos/acme/web/deployments', 403);
    github.failures.set('POST /repos/acme/web/deployments', 403);
    const history = deploymentsHistory(octokit(), repo);
    await expect(history.read('production')).rejects.toThrow(
      /^history: cannot read the deployments of production \(the token needs deployments: write\): GitHub API GET .* failed with 403/,
    );
    await expect(
      history.append('production', { at: at(1), durationSeconds: 1 }, context),
    ).rejects.toThrow(
      /^history: cannot record this deploy as a deployment to production \(the token needs deployments: write\)/,
    );
  });

  test('an empty environment has no history', async () => {
    expect(await deploymentsHistory(octokit(), repo).read('production')).toEqual([]);
  });
});

describe('the history file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'deploy-budget-history-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const fresh = () => path.join(dir, `case-${++n}`, 'history.json');

  test('a missing file is no history, and is created with the first deploy', async () => {
    const file = fresh();
    const history = fileHistory(file, 'history.json');
    expect(await history.read('production')).toEqual([]);
    await history.append('production', { at: at(1), durationSeconds: 100 }, context);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      version: 1,
      environments: { production: [{ at: at(1), durationSeconds: 100 }] },
    });
    expect(readdirSync(path.dirname(file))).toEqual(['history.json']);
  });

  test('keeps environments apart', async () => {
    const history = fileHistory(fresh(), 'history.json');
    await history.append('production', { at: at(1), durationSeconds: 100 }, context);
    await history.append('staging', { at: at(2), durationSeconds: 50 }, context);
    expect((await history.read('production')).map((r) => r.durationSeconds)).toEqual([100]);
    expect((await history.read('staging')).map((r) => r.durationSeconds)).toEqual([50]);
  });

  test('a re-run replaces its own earlier record instead of adding a second', async () => {
    const history = fileHistory(fresh(), 'history.json');
    await history.append('production', { at: at(1), durationSeconds: 100, runId: '7' }, context);
    await history.append('production', { at: at(2), durationSeconds: 90, runId: '7' }, context);
    expect(await history.read('production')).toEqual([
      { at: at(2), durationSeconds: 90, runId: '7' },
    ]);
  });

  test(`keeps only the newest ${FILE_LIMIT} deploys per environment`, async () => {
    const file = fresh();
    const history = fileHistory(file, 'history.json');
    await history.append('production', { at: at(1), durationSeconds: 0 }, context);
    const full = Array.from({ length: FILE_LIMIT }, (_, i) => ({
      at: at(1),
      durationSeconds: i + 1,
    }));
    writeFileSync(file, JSON.stringify({ version: 1, environments: { production: full } }));
    await history.append('production', { at: at(2), durationSeconds: 999 }, context);
    const records = await history.read('production');
    expect(records).toHaveLength(FILE_LIMIT);
    expect(records[0]!.durationSeconds).toBe(2);
    expect(records.at(-1)!.durationSeconds).toBe(999);
  });

  test.each([
    ['{"environments": ', 'history: history.json: invalid JSON at line 1, column 18'],
    ['[]', 'history: history.json: expected an object with "environments"'],
    [
      '{"environments": {"production": {}}}',
      'history: history.json: environments.production must be a list',
    ],
    [
      '{"environments": {"production": [{"at": "2024-01-01T00:00:00Z", "durationSeconds": "5m"}]}}',
      "history: history.json: environments.production[0] 'durationSeconds' must be a number of seconds",
    ],
  ])('a damaged file %s is reported, never overwritten', async (text, message) => {
    const file = fresh();
    const history = fileHistory(file, 'history.json');
    await history.append('staging', { at: at(1), durationSeconds: 1 }, context);
    writeFileSync(file, text);
    await expect(history.read('production')).rejects.toThrow(message);
    await expect(
      history.append('production', { at: at(1), durationSeconds: 1 }, context),
    ).rejects.toThrow(message);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});
