// main is only the edge: it reads the inputs, hands them to run with clients and the runner's
// context, writes exactly the outputs and summary run returns, and fails the step with run's
// line after writing them. The runner's side is a stand-in for @actions/core; ECR answers
// through aws-sdk-client-mock; history is a file, so GitHub is never called.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { getInputs } from '../../../src/actions/deploy-budget/inputs.ts';
import { main } from '../../../src/actions/deploy-budget/main.ts';
import { run } from '../../../src/actions/deploy-budget/run.ts';
import { runnerContext } from '../../../src/lib/context.ts';
import { ActionError } from '../../../src/lib/errors.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';
import { actionsLog } from '../../../src/lib/log.ts';
import { recorded, resetCore } from '../lib/fake-core.ts';

vi.mock('@actions/core', () => import('../lib/fake-core.ts'));
vi.mock('../../../src/actions/deploy-budget/run.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../src/actions/deploy-budget/run.ts')>();
  return { run: vi.fn(actual.run) };
});

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:v1';
const ecrMock = mockClient(ECRClient);
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'deploy-budget-main-'));
  vi.stubEnv('GITHUB_WORKSPACE', dir);
  vi.stubEnv('RUNNER_TEMP', dir);
  vi.stubEnv('GITHUB_STEP_SUMMARY', path.join(dir, 'summary.md'));
  vi.stubEnv('GITHUB_REPOSITORY', 'acme/web');
  vi.stubEnv('GITHUB_SHA', 'abc123');
  vi.stubEnv('GITHUB_RUN_ID', '');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  ecrMock.reset();
  ecrMock.on(DescribeImagesCommand).resolves({
    imageDetails: [
      {
        registryId: '123456789012',
        repositoryName: 'web',
        imageDigest: `sha256:${'a'.repeat(64)}`,
        imageTags: ['v1'],
        imageSizeInBytes: 52_428_800,
      },
    ],
  });
  vi.mocked(run).mockClear();
});

afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

function values(onExceeded: string) {
  return {
    budget: '5m',
    environment: 'production',
    'started-at': new Date(Date.now() - 10 * 60_000).toISOString(),
    history: 'file:.deploy-budget.json',
    image: IMAGE,
    'on-exceeded': onExceeded,
    'github-token': 't0ken',
  };
}

async function callOfRun() {
  expect(run).toHaveBeenCalledTimes(1);
  const [inputs, deps] = vi.mocked(run).mock.calls[0]!;
  const result = await vi.mocked(run).mock.results[0]!.value;
  return { inputs, deps, result };
}

describe('deploy-budget main', () => {
  test('calls run with the typed inputs and writes exactly the outputs and summary it returns', async () => {
    const given = values('warn');
    resetCore(given);
    await main();

    const { inputs, deps, result } = await callOfRun();
    expect(inputs).toEqual(getInputs(mapInputs(given), dir));
    expect(deps.log).toBe(actionsLog);
    expect(deps.context).toEqual(runnerContext());
    expect(recorded.outputs).toEqual(Object.entries(result.outputs));
    expect(recorded.summaries).toEqual([result.summary]);
    // The image's region comes from its registry host, not from AWS_REGION.
    expect(await ecrMock.call(0).thisValue.config.region()).toBe('eu-west-1');
    expect(Object.fromEntries(recorded.outputs)).toMatchObject({
      'over-budget': true,
      'image-bytes': 52_428_800,
    });
    // run recorded this deploy in the history file the input names.
    expect(readFileSync(path.join(dir, '.deploy-budget.json'), 'utf8')).toContain('"production"');
  });

  test('over budget with on-exceeded: fail: outputs and summary first, then run’s line fails the step', async () => {
    resetCore(values('fail'));
    const failed = main();
    await expect(failed).rejects.toThrow(ActionError);

    const { result } = await callOfRun();
    expect(result.failure).toMatch(/^Deploy budget for production exceeded: /);
    await expect(failed).rejects.toThrow(result.failure);
    expect(recorded.outputs).toEqual(Object.entries(result.outputs));
    expect(recorded.summaries).toEqual([result.summary]);
  });
});
