// main is only the edge: it reads the inputs, hands them to run, writes exactly the outputs and
// summary run returns, and fails the step with run's failure line after writing them. The
// runner's side is a stand-in for @actions/core; ECR answers through aws-sdk-client-mock.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeImageScanFindingsCommand, ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { getInputs } from '../../../src/actions/ecr-scan/inputs.ts';
import { main } from '../../../src/actions/ecr-scan/main.ts';
import { run } from '../../../src/actions/ecr-scan/run.ts';
import { runnerContext } from '../../../src/lib/context.ts';
import { ActionError } from '../../../src/lib/errors.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';
import { actionsLog } from '../../../src/lib/log.ts';
import { recorded, resetCore } from '../lib/fake-core.ts';
import { response } from './helpers.ts';

vi.mock('@actions/core', () => import('../lib/fake-core.ts'));
vi.mock('../../../src/actions/ecr-scan/run.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../src/actions/ecr-scan/run.ts')>();
  return { run: vi.fn(actual.run) };
});

const ecrMock = mockClient(ECRClient);
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ecr-scan-main-'));
  const event = path.join(dir, 'event.json');
  writeFileSync(event, JSON.stringify({ ref: 'refs/heads/main' }));
  vi.stubEnv('GITHUB_WORKSPACE', dir);
  vi.stubEnv('RUNNER_TEMP', dir);
  vi.stubEnv('GITHUB_STEP_SUMMARY', path.join(dir, 'summary.md'));
  vi.stubEnv('GITHUB_EVENT_NAME', 'push');
  vi.stubEnv('GITHUB_EVENT_PATH', event);
  vi.stubEnv('GITHUB_REPOSITORY', 'acme/web');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  ecrMock.reset();
  ecrMock
    .on(DescribeImageScanFindingsCommand, { imageId: { imageTag: 'v1.4.0' } })
    .resolves(response('basic-page-1'))
    .on(DescribeImageScanFindingsCommand, {
      imageId: { imageTag: 'v1.4.0' },
      nextToken: 'eyJwYWdlIjoyfQ==',
    })
    .resolves(response('basic-page-2'));
  vi.mocked(run).mockClear();
});

afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

async function callsOfRun() {
  expect(run).toHaveBeenCalledTimes(1);
  const [inputs, deps] = vi.mocked(run).mock.calls[0]!;
  const result = await vi.mocked(run).mock.results[0]!.value;
  return { inputs, deps, result };
}

describe('ecr-scan main', () => {
  test('calls run with the typed inputs and writes exactly the outputs and summary it returns', async () => {
    // settle 0: main runs on the real clock, and what settling does is run's, tested there.
    const values = { repository: 'web', 'image-tag': 'v1.4.0', 'fail-on': 'none', settle: '0' };
    resetCore(values);
    await main();

    const { inputs, deps, result } = await callsOfRun();
    expect(inputs).toEqual(getInputs(mapInputs(values), dir, 'push'));
    expect(deps.log).toBe(actionsLog);
    expect(deps.context).toEqual(runnerContext());
    expect(result.failure).toBeUndefined();
    expect(recorded.outputs).toEqual(Object.entries(result.outputs));
    expect(recorded.summaries).toEqual([result.summary]);
    // The counts are the scan's, not something main made up.
    expect(Object.fromEntries(recorded.outputs)).toMatchObject({ status: 'COMPLETE', critical: 1 });
  });

  test('findings over fail-on: outputs and summary first, then the step fails with run’s line', async () => {
    resetCore({ repository: 'web', 'image-tag': 'v1.4.0', 'fail-on': 'high', settle: '0' });
    const failed = main();
    await expect(failed).rejects.toThrow(ActionError);

    const { result } = await callsOfRun();
    await expect(failed).rejects.toThrow(result.failure);
    expect(result.failure).toMatch(
      /^3 findings at or above HIGH in web:v1\.4\.0 \(fail-on: high\)/,
    );
    expect(recorded.outputs).toEqual(Object.entries(result.outputs));
    expect(recorded.summaries).toEqual([result.summary]);
  });
});
